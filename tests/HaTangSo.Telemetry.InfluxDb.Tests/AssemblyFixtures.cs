using HaTangSo.Telemetry.Testing;

[assembly: AssemblyFixture(typeof(InfluxDbFixture))]
