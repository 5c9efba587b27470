using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using HaTangSo.Telemetry.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// A broker with the dynamic-security plugin, the real server as its provisioning administrator, and the
/// helpers the security tests share: enrolment through the API, MQTT clients, waiting for points.
/// </summary>
internal sealed class SecureStack : IAsyncDisposable
{
    private SecureStack(MosquittoBroker broker, ServerProcess server, InfluxProbe influx, string serverPassword, string adminPassword, string serverClientId, ServerSettings settings)
    {
        Broker = broker;
        Server = server;
        Influx = influx;
        ServerPassword = serverPassword;
        AdminPassword = adminPassword;
        ServerUsername = serverClientId;
        Settings = settings;
    }

    /// <summary>Where the server keeps its data (the test's own PostgreSQL and InfluxDB databases).</summary>
    public ServerSettings Settings { get; }

    public MosquittoBroker Broker { get; }

    public ServerProcess Server { get; }

    public InfluxProbe Influx { get; }

    /// <summary>The server's own broker password (user <see cref="ServerUsername"/>).</summary>
    public string ServerPassword { get; }

    /// <summary>The server's broker username, which is also its client id (bound by the broker).</summary>
    public string ServerUsername { get; }

    /// <summary>The dynamic-security administrator's (<c>hts-admin</c>) password.</summary>
    public string AdminPassword { get; }

    /// <summary>Starts the broker (TLS only when <paramref name="tls"/> is given) and the server provisioning it.</summary>
    /// <param name="secretsDirectory">When set, the server's passwords are files there (<c>Secrets:Directory</c>), not variables.</param>
    /// <param name="extra">More server settings (environment variable names).</param>
    public static async Task<SecureStack> StartAsync(
        PostgresFixture postgres, InfluxDbFixture influx, CancellationToken ct, TestCertificateAuthority? tls = null, string? secretsDirectory = null,
        IDictionary<string, string?>? extra = null)
    {
        var adminPassword = Secret();
        var serverPassword = Secret();
        var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions { DynamicSecurityAdmin = ("hts-admin", adminPassword), Tls = tls }, ct);
        var database = influx.NewDatabaseName();
        var settings = new ServerSettings(await postgres.NewCataloguedDatabaseAsync(ct), influx.Server.BaseAddress, database, broker.Port)
        {
            Extra =
            {
                ["Mqtt__Password"] = serverPassword,
                ["Provisioning__AdminUsername"] = "hts-admin",
                ["Provisioning__AdminPassword"] = adminPassword,
                ["Provisioning__ProbeBrokerHost"] = broker.Host,
                ["Provisioning__ProbeBrokerPort"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Provisioning__ProbeBrokerTls"] = tls is null ? "false" : "true",
                ["Provisioning__ProbeCaFile"] = tls?.CaFile,
                ["Mqtt__UseTls"] = tls is null ? "false" : "true",
                ["Mqtt__CaCertificatePath"] = tls?.CaFile,
                ["Jobs__Enabled"] = "false",
            },
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings.Extra[key] = value;
        }

        if (secretsDirectory is not null)
        {
            foreach (var key in new[] { "Mqtt__Password", "Provisioning__AdminPassword" })
            {
                await File.WriteAllTextAsync(Path.Combine(secretsDirectory, key), settings.Extra[key] + "\n", ct);
                settings.Extra.Remove(key);
            }

            settings.Extra["Secrets__Directory"] = secretsDirectory;
        }

        var server = await ServerProcess.StartAsync(settings, ct);
        return new SecureStack(broker, server, new InfluxProbe(influx.Server.BaseAddress, database), serverPassword, adminPassword, settings.ClientId, settings);
    }

    public static string Secret() => TestArtifacts.Secret(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));

    /// <summary>
    /// <c>POST /api/probes/{id}/enrol</c> in Tân Lộc with the links <see cref="SampleResults"/> measure (fixed VNPT FTTH at
    /// 150 Mb/s, modem Viettel 4G); returns the answer (password, config).
    /// </summary>
    public async Task<JsonElement> EnrolAsync(string probeId, CancellationToken ct)
    {
        var body = new
        {
            communeCode = "18409",
            scheduleMinutes = 15,
            links = new object[]
            {
                new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth", advertisedDownloadMbps = 150.0, advertisedUploadMbps = 150.0 },
                new { name = "modem", access = "mobile", @operator = "Viettel", technology = "4g" },
            },
        };
        using var response = await Server.Http.PostAsJsonAsync($"/api/probes/{probeId}/enrol", body, ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}\n{Server.Output}");
        var enrolled = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        TestArtifacts.Secret(enrolled.GetProperty("mqttPassword").GetString()!);
        return enrolled;
    }

    /// <summary>Waits (bounded) until InfluxDB holds at least <paramref name="count"/> results.</summary>
    public async Task<long> WaitForResultsAsync(long count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long found;
        while ((found = await Influx.CountResultsAsync(ct)) < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
        }

        return found;
    }

    public static MqttApplicationMessage Result(string probeId, string topic) => new MqttApplicationMessageBuilder()
        .WithTopic(topic)
        .WithPayload(SampleResults.ToJson(SampleResults.Create(probeId, 1, DateTimeOffset.UtcNow.AddMinutes(-1))))
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .Build();

    /// <summary>
    /// Connects over MQTT 5 (plaintext unless <paramref name="tls"/> configures TLS); the CONNACK's code. The client id
    /// is the username unless <paramref name="clientId"/> says otherwise (the broker binds every enrolled login to it).
    /// </summary>
    public async Task<MqttClientConnectResultCode> ConnectAsync(
        IMqttClient client, string? username, string? password, CancellationToken ct, bool throwOnFailure = true,
        Action<MqttClientTlsOptionsBuilder>? tls = null, string? clientId = null, bool cleanStart = true)
    {
        var options = new MqttClientOptionsBuilder().WithTcpServer(Broker.Host, Broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithCleanStart(cleanStart)
            .WithClientId(clientId ?? username ?? "anonymous-" + Guid.NewGuid().ToString("N")[..6]);
        if (username is not null)
        {
            options = options.WithCredentials(username, password);
        }

        if (tls is not null)
        {
            options = options.WithTlsOptions(tls);
        }

        try
        {
            return (await client.ConnectAsync(options.Build(), ct)).ResultCode;
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex) when (!throwOnFailure)
        {
            // MQTTnet 5 throws on a refused CONNACK and keeps the code only in its message.
            return ex.Message.Contains("BadUserNameOrPassword", StringComparison.Ordinal) ? MqttClientConnectResultCode.BadUserNameOrPassword : MqttClientConnectResultCode.NotAuthorized;
        }
    }

    /// <summary>Runs <c>mosquitto_ctrl dynsec ARGS</c> as the plugin's administrator (plaintext brokers only); its output.</summary>
    public async Task<string> DynsecAsync(CancellationToken ct, params string[] arguments)
    {
        var result = await Command.RunAsync(
            "mosquitto_ctrl", ["-h", Broker.Host, "-p", Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", "hts-admin", "-P", AdminPassword, "dynsec", .. arguments], ct);
        return result.Stdout + result.Stderr;
    }

    public async ValueTask DisposeAsync()
    {
        Influx.Dispose();
        await Server.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
