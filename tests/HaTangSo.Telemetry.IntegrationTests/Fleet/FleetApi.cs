using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaTangSo.Telemetry.IntegrationTests.Security;

namespace HaTangSo.Telemetry.IntegrationTests.Fleet;

/// <summary>The fleet API as the tests use it: read with the ETag, change with If-Match, wait for what a probe reports.</summary>
internal static class FleetApi
{
    /// <summary>A test measurement configuration: measure at once, short, one stream, no UDP, no busy check.</summary>
    public static object QuickDefault(string serverId, int scheduleMinutes = 1440) => new
    {
        scheduleMinutes,
        randomizeOffset = false,
        servers = new[] { serverId },
        test = new { streams = 1, durationSeconds = 3, warmupSeconds = 1, latencySamples = 10, udpPort = 0, udpPackets = 10 },
        busyThresholdMbps = 0,
    };

    /// <summary>
    /// Enrols <paramref name="probeId"/> with one fixed link and no advertised speed (loopback measures gigabits, which
    /// the plausibility check would hold against an advertised office line) and no schedule (the registry's default);
    /// returns its broker password.
    /// </summary>
    public static async Task<string> EnrolLoopbackProbeAsync(this SecureStack stack, string probeId, CancellationToken ct)
    {
        var body = new { communeCode = "18409", links = new[] { new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth" } } };
        using var response = await stack.Server.Http.PostAsJsonAsync($"/api/probes/{probeId}/enrol", body, ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}\n{stack.Server.Output}");
        var enrolled = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return Testing.TestArtifacts.Secret(enrolled.GetProperty("mqttPassword").GetString()!);
    }

    public static async Task<(JsonElement Body, string ETag)> GetAsync(this SecureStack stack, string path, CancellationToken ct)
    {
        using var response = await stack.Server.Http.GetAsync(path, ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct), response.Headers.ETag?.Tag ?? string.Empty);
    }

    public static async Task<HttpResponseMessage> PutAsync(this SecureStack stack, string path, object body, string? ifMatch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await stack.Server.Http.SendAsync(request, ct);
    }

    /// <summary>Waits (bounded, generous: a loaded 2-core machine) until <paramref name="condition"/> holds for the probe's configuration.</summary>
    public static async Task<JsonElement> WaitForProbeConfigAsync(
        this SecureStack stack, string probeId, Func<JsonElement, bool> condition, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        JsonElement last;
        while (!condition(last = (await stack.GetAsync($"/api/probes/{probeId}/config", ct)).Body))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; last: {last}\n{stack.Server.Output}");
            await Task.Delay(300, ct);
        }

        return last;
    }

    public static long? Long(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    public static string? Text(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Waits until the API answers <paramref name="state"/> for the command (the probe's acknowledgement or its results).</summary>
    public static async Task<JsonElement> WaitForCommandAsync(this SecureStack stack, string probeId, string commandId, string state, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            var (command, _) = await stack.GetAsync($"/api/probes/{probeId}/commands/{commandId}", ct);
            if (command.Text("state") == state)
            {
                return command;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for command {commandId} to be {state}; last: {command}\n{stack.Server.Output}");
            await Task.Delay(500, ct);
        }
    }
}
