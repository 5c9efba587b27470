using HaTangSo.Telemetry.Testing;

// One PostgreSQL and one InfluxDB per test assembly; each test has its own database in both. The broker is
// per test: the contract fixes the topics and the shared-subscription group, so tests cannot share one.
[assembly: AssemblyFixture(typeof(PostgresFixture))]
[assembly: AssemblyFixture(typeof(InfluxDbFixture))]
