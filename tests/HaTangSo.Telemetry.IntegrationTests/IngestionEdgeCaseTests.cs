using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;

namespace HaTangSo.Telemetry.IntegrationTests;

/// <summary>Ingestion paths beyond the happy stream: InfluxDB refusing some lines, registry changes, probe status.</summary>
public sealed class IngestionEdgeCaseTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task InfluxRefusesSomeLines_OnlyThoseAreQuarantined_RestIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);

        // A field-type conflict InfluxDB answers with "400 partial write": `error` already exists as an integer
        // in the shard the results fall into. Field types are per shard (a week, starting Monday 00:00 UTC), and the
        // results span 7 minutes that may cross into the next one: seed at the first and the last result's time.
        var results = IngestionEndToEndTests.Results(context.ProbeId, 60);
        using (var http = new HttpClient { BaseAddress = context.InfluxUrl })
        {
            var seeds = string.Join('\n', new[] { results[0], results[^1] }
                .Select(r => $"speedtest,probe=seed error=1i,result_id=\"seed\" {(r.StartedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100}"));
            using var write = await http.PostAsync($"write?db={context.Database}", new StringContent(seeds), ct);
            Assert.True(write.IsSuccessStatusCode, await write.Content.ReadAsStringAsync(ct));
        }

        var failing = results.Where((_, i) => i % 12 == 5).Select(r => r.ResultId).ToHashSet();
        var messages = results.Select(r => failing.Contains(r.ResultId) ? r with { Status = ResultStatus.Partial, Error = "upload: reset" } : r).ToList();
        await using var publisher = context.CreatePublisher();
        await publisher.PublishAsync(context.ProbeId, [.. messages.Select(SampleResults.ToJson)], ct);

        await context.WaitForResultsAsync(results.Count - failing.Count + 2, s_timeout, ct);
        var quarantined = await WaitForQuarantineAsync(context.PostgresConnectionString, failing.Count, ct);
        Assert.Equal(failing, quarantined.Select(q => q.ResultId ?? "").ToHashSet());
        Assert.All(quarantined, q => Assert.Contains("InfluxDB refused the point: HTTP 400", q.Reason, StringComparison.Ordinal));
        var written = await context.Influx.ResultIdsAsync(ct);
        written.Remove("seed");
        Assert.Equal(results.Count - failing.Count, written.Count);
        Assert.Empty(written.Intersect(failing));
    }

    [Fact]
    public async Task ResultsPublishedAtQos0AmongQos1_AllStored_TheServerSessionStaysConnected()
    {
        // The broker delivers a QoS 0 publish at QoS 0 (packet id 0): nothing to acknowledge. A PUBACK for it would be a
        // protocol error, for which Mosquitto drops the server's session at every batch that held one.
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        var results = IngestionEndToEndTests.Results(context.ProbeId, 40);
        using var qos0 = new MqttClientFactory().CreateMqttClient();
        await qos0.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(context.Broker.Host, context.Broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("qos0-" + context.ProbeId).Build(), ct);
        await using var publisher = context.CreatePublisher();
        for (var i = 0; i < results.Count; i += 2)
        {
            await qos0.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Results(context.ProbeId))
                .WithPayload(SampleResults.ToJson(results[i])).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).Build(), ct);
            await publisher.PublishAsync(results[i + 1], ct);
        }

        await context.WaitForResultsAsync(results.Count, s_timeout, ct);

        // Acknowledged batches later, the session is still the first one, and what follows is still taken.
        var more = IngestionEndToEndTests.Results(context.ProbeId, 45).Skip(40).ToList();
        await publisher.PublishAsync(context.ProbeId, [.. more.Select(SampleResults.ToJson)], ct);
        await context.WaitForResultsAsync(results.Count + more.Count, s_timeout, ct);
        Assert.DoesNotContain("Disconnected from the MQTT broker", context.Server.Output, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(context.Server.Output, "Connected to MQTT broker"));
        Assert.DoesNotContain("protocol error", context.Broker.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ProbeRegisteredInDatabase_PickedUpWithoutRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        const string lateProbe = "late-probe-01";
        await using var publisher = context.CreatePublisher();
        await publisher.PublishAsync(SampleResults.Create(lateProbe, 0, DateTimeOffset.UtcNow.AddMinutes(-2)), ct);
        var refused = Assert.Single(await WaitForQuarantineAsync(context.PostgresConnectionString, 1, ct));
        Assert.Contains("not in the registry", refused.Reason, StringComparison.Ordinal);

        // Registered behind the server's back, straight in PostgreSQL (another instance, an operator's script).
        await using (var connection = new NpgsqlConnection(context.PostgresConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO probes (id, commune_code) VALUES ('{lateProbe}', '{IngestionTestContext.CommuneCode}');" +
                $"INSERT INTO probe_links (probe_id, name, access, operator, technology) VALUES ('{lateProbe}', 'modem', 'mobile', 'Viettel', '4g')",
                connection);
            await insert.ExecuteNonQueryAsync(ct);
        }

        // The next result can reach the server before the registry's notification does (they race on a busy box): it is
        // then refused like the first, and the probe's next result (15 minutes later) shows the registration was picked
        // up. Up to four are published, each waited for in turn; then the usual wait fails with the logs.
        var published = new List<string>();
        for (var attempt = 0; attempt < 4 && await context.Influx.CountResultsAsync(ct) == 0; attempt++)
        {
            var next = SampleResults.Create(lateProbe, (2 * attempt) + 1, DateTimeOffset.UtcNow.AddMinutes(-60 + (15 * attempt)));
            published.Add(next.ResultId);
            await publisher.PublishAsync(next, ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(20));
            while (!wait.IsCancellationRequested && await context.Influx.CountResultsAsync(ct) == 0)
            {
                await Task.Delay(200, CancellationToken.None);
            }
        }

        await context.WaitForResultsAsync(1, s_timeout, ct);
        Assert.Subset(published.ToHashSet(), (await context.Influx.ResultIdsAsync(ct)).ToHashSet());
    }

    [Fact]
    public async Task ProbeStatus_StoredWithLastSeenAndQueueDepth_AndWrittenForDashboards()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await IngestionTestContext.CreateAsync(postgres, influx, ct);
        await context.StartServerAsync(ct);
        var status = new StatusMessage
        {
            ProbeId = context.ProbeId, State = ProbeState.Online, At = DateTimeOffset.UtcNow, AgentVersion = "0.1.0-test",
            QueueDepth = 42, QueueEvicted = 0, LastResultAt = DateTimeOffset.UtcNow.AddMinutes(-1),
        };
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(context.Broker.Host, context.Broker.Port).Build(), ct);
        await client.PublishAsync(
            new MqttApplicationMessageBuilder().WithTopic(Topics.Status(context.ProbeId)).WithRetainFlag()
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithPayload(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(status, ContractsJsonContext.Default.StatusMessage)).Build(),
            ct);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(s_timeout);
        while ((await context.Influx.RowsAsync("SELECT queue_depth, online FROM probe_status", cts.Token)).Count == 0)
        {
            await Task.Delay(100, cts.Token);
        }

        var row = Assert.Single(await context.Influx.RowsAsync("SELECT queue_depth, online FROM probe_status", ct));
        Assert.Equal(42, row["queue_depth"].GetInt64());
        Assert.Equal(1, row["online"].GetInt64());
        await using var connection = new NpgsqlConnection(context.PostgresConnectionString);
        await connection.OpenAsync(ct);
        await using var query = new NpgsqlCommand("SELECT state, queue_depth, agent_version FROM probe_status WHERE probe_id = $1", connection);
        query.Parameters.Add(new() { Value = context.ProbeId });
        await using var reader = await query.ExecuteReaderAsync(ct);
        Assert.True(await reader.ReadAsync(ct));
        Assert.Equal(("online", 42L, "0.1.0-test"), (reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
    }

    private static async Task<List<(string? ResultId, string Reason)>> WaitForQuarantineAsync(string connectionString, int expected, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(s_timeout);
        while (true)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cts.Token);
            await using var command = new NpgsqlCommand("SELECT result_id, reason FROM quarantine", connection);
            var rows = new List<(string?, string)>();
            await using (var reader = await command.ExecuteReaderAsync(cts.Token))
            {
                while (await reader.ReadAsync(cts.Token))
                {
                    rows.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1)));
                }
            }

            if (rows.Count >= expected)
            {
                return rows;
            }

            await Task.Delay(100, cts.Token);
        }
    }
}
