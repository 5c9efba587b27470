using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>A bad configuration stops start-up with a message that names the key.</summary>
public sealed class StartupConfigurationTests
{
    [Theory]
    [InlineData("Mqtt__Port", "70000", "Mqtt:Port")]
    [InlineData("Mqtt__ClientId", "has spaces", "Mqtt:ClientId")]
    [InlineData("Mqtt__LiveLane__OpenAfter", "00:00:00", "Mqtt:LiveLane:OpenAfter")]
    [InlineData("Ingestion__MaxBatchSize", "0", "Ingestion:MaxBatchSize")]
    [InlineData("Ingestion__BatchesInFlight", "3", "Ingestion:BatchesInFlight")]
    [InlineData("Influx__Database", "bad name;", "Influx:Database")]
    [InlineData("Api__Keys__0__Sha256", "not-a-hash", "Api:Keys:N:Sha256")]
    [InlineData("ConnectionStrings__Postgres", "", "ConnectionStrings:Postgres")]
    [InlineData("Compliance__MinSamples", "0", "Compliance:MinSamples")]
    [InlineData("Alerts__ConsecutiveBelow", "0", "Alerts:ConsecutiveBelow")]
    [InlineData("Jobs__ComplianceCron", "hourly", "Jobs:ComplianceCron")]
    public async Task Start_BadSetting_ExitsNamingTheKey(string variable, string value, string key)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = "Host=127.0.0.1;Port=1;Username=postgres;Database=none",
            ["Influx__Url"] = "http://127.0.0.1:1",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}",
            [variable] = value,
        };
        await using var process = TestProcess.Start("hts-server", "dotnet", [ServerProcess.ServerDll()], environment);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => process.WaitForExitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
