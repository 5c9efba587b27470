using System.Text.Json;
using HaTangSo.Telemetry.InfluxDb;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>Broker connection state of the ingestion client.</summary>
internal sealed class MqttHealthCheck(MqttConnectionState state, IngestionQueue queue, LiveLane live) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["unacknowledged"] = queue.Unacknowledged + live.Queue.Unacknowledged };
        return Task.FromResult(state.IsConnected
            ? HealthCheckResult.Healthy("connected", data)
            : HealthCheckResult.Unhealthy("not connected to the broker", data: data));
    }
}

/// <summary>InfluxDB answers <c>/ping</c>, and start-up has set up its database and retention policy.</summary>
internal sealed class InfluxHealthCheck(InfluxDbClient client, InfluxReadiness readiness) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var version = await client.PingAsync(cancellationToken);
            return readiness.IsReady
                ? HealthCheckResult.Healthy("InfluxDB " + version)
                : HealthCheckResult.Unhealthy($"InfluxDB {version} answers; the database is not set up yet");
        }
        catch (Exception ex) when (ex is InfluxDbException or HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy("InfluxDB unreachable: " + ex.Message);
        }
    }
}

/// <summary>PostgreSQL answers a query.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("PostgreSQL reachable");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL unreachable: " + ex.Message);
        }
    }
}

/// <summary>
/// Writes the health report as JSON: the overall status to anyone; each dependency's state, error text and backlog
/// only to a caller with an API key (they name hosts and errors an anonymous caller has no business reading).
/// </summary>
internal static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var details = context.User.IsInRole(Api.ApiRoles.Viewer) || context.User.IsInRole(Api.ApiRoles.Operator);
        context.Response.ContentType = "application/json; charset=utf-8";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in details ? report.Entries : new Dictionary<string, HealthReportEntry>())
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("description", entry.Description);
                foreach (var (key, value) in entry.Data)
                {
                    json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }
}
