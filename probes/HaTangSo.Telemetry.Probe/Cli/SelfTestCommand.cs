using System.CommandLine;
using System.Globalization;
using System.Net;
using HaTangSo.Telemetry.Probe.Agent;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Measurement;
using HaTangSo.Telemetry.Probe.Publishing;
using HaTangSo.Telemetry.Probe.Queue;
using MQTTnet;

namespace HaTangSo.Telemetry.Probe.Cli;

/// <summary>
/// <c>self-test</c>: for the person installing the box. Checks the config, the queue file, the clock, the
/// broker login and, per link, the source address and the server's HTTP and UDP answers; says what is wrong.
/// </summary>
internal static class SelfTestCommand
{
    /// <summary>A clock further off than this makes results land at the wrong time.</summary>
    private static readonly TimeSpan s_maxClockSkew = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var configOption = RunCommand.ConfigOption();
        var command = new Command("self-test", "Check the configuration, clock, broker login and each link's path to the server") { configOption };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var failures = 0;
            void Report(bool ok, string what, string detail)
            {
                failures += ok ? 0 : 1;
                Console.WriteLine($"  {(ok ? "OK  " : "FAIL")}  {what,-22} {detail}");
            }

            ProbeConfig config;
            var path = parse.GetValue(configOption)!;
            try
            {
                config = ProbeConfigLoader.Load(path);
                Report(true, "config", path);
            }
            catch (ProbeConfigException ex)
            {
                Report(false, "config", ex.Message);
                return 1;
            }

            try
            {
                using var queue = ResultQueue.Open(config.QueuePath, config.QueueCapacity);
                Report(true, "queue", $"{config.QueuePath}: {queue.Depth} waiting of {queue.Capacity}, {queue.Evicted} evicted");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                Report(false, "queue", $"{config.QueuePath}: {ex.Message}");
            }

            await CheckBrokerAsync(config, Report, cancellationToken);

            // The configuration the service measures with: the registry's persisted one, else the local file's keys.
            var plan = new Fleet.ActiveConfig(
                config.ProbeId!, Fleet.MeasurementPlan.FromLocal(config), Path.GetDirectoryName(Path.GetFullPath(config.QueuePath)),
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Plan;
            if (plan is null)
            {
                Report(false, "measurement configuration", "none names a server yet: the service waits for the registry's (hts/v1/probes/{id}/config)");
            }
            else
            {
                Report(true, "measurement configuration", $"version {plan.Version}{(plan.Version == 0 ? " (probe.json)" : " (registry)")}: every {plan.Schedule.TotalMinutes:0} min against {plan.ServerId}");
                foreach (var link in config.Links!)
                {
                    await CheckLinkAsync(plan, link, Report, cancellationToken);
                }
            }

            Console.WriteLine(failures == 0 ? "All checks passed." : $"{failures} check(s) failed.");
            return failures == 0 ? 0 : 1;
        });
        return command;
    }

    private static async Task CheckBrokerAsync(ProbeConfig config, Action<bool, string, string> report, CancellationToken cancellationToken)
    {
        var broker = config.Broker!;
        var options = MqttConnection.Options(config.ProbeId!, broker, DateTimeOffset.UtcNow);
        // The broker binds the probe's login to its own client id (any other is refused), so the check uses it, with
        // no will. A running service is disconnected for a moment and reconnects by itself; its results wait in its
        // local queue meanwhile; commands queued for its session in that moment are lost (and expire at the server).
        options.ClientId = config.ProbeId;
        // Not the service's persistent session: this client would take (and acknowledge) commands queued for it.
        options.CleanSession = true;
        options.SessionExpiryInterval = 0;
        options.WillTopic = null;
        options.WillPayload = null;
        using var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            var result = await client.ConnectAsync(options, cancellationToken);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                report(false, "broker login", $"{broker.Host}:{broker.Port} refused the login: {result.ResultCode} (check broker.username / broker.passwordFile)");
                return;
            }

            report(true, "broker login", $"{broker.Host}:{broker.Port} as {broker.Username ?? config.ProbeId} ({result.ResultCode})");
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), cancellationToken);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex)
        {
            report(false, "broker login", $"{broker.Host}:{broker.Port} refused the login: {ex.Message} (check broker.username / broker.passwordFile)");
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            report(false, "broker login", $"{broker.Host}:{broker.Port} unreachable: {ex.InnerException?.Message ?? ex.Message}{(broker.Tls ? " (TLS: check broker.caFile and the host name in the certificate)" : string.Empty)}");
        }
    }

    private static async Task CheckLinkAsync(
        Fleet.MeasurementPlan plan, LinkConfig link, Action<bool, string, string> report, CancellationToken cancellationToken)
    {
        var server = plan.Server;
        var what = $"link {link.Name}";
        IPAddress? source = link.Bind is null ? null : IPAddress.Parse(link.Bind);
        if (source is not null && LinkActivity.InterfaceOf(source) is null)
        {
            report(false, what, $"no interface has the address {source} (links[].bind): is the modem connected?");
            return;
        }

        var settings = plan.Settings with { UdpPackets = 20, UdpWait = TimeSpan.FromSeconds(2) };
        try
        {
            var (address, dnsMs) = await LinkEndpoint.ResolveAsync(server, source, TimeProvider.System, cancellationToken);
            var endpoint = new LinkEndpoint(server, address, source);
            using var http = endpoint.NewHttpClient(1, TimeSpan.FromSeconds(10));
            var start = TimeProvider.System.GetTimestamp();
            using var response = await http.GetAsync(LibreSpeedPaths.Empty(server), cancellationToken);
            var rtt = TimeProvider.System.GetElapsedTime(start).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            report(true, what + " http", string.Create(CultureInfo.InvariantCulture, $"{server} answers via {link.Interface ?? link.Bind ?? "the default route"} in {rtt:0} ms{(dnsMs is null ? "" : $" (DNS {dnsMs:0} ms)")}"));
            if (response.Headers.Date is { } serverTime)
            {
                var skew = DateTimeOffset.UtcNow - serverTime;
                report(skew.Duration() <= s_maxClockSkew, what + " clock",
                    string.Create(CultureInfo.InvariantCulture, $"{skew.TotalSeconds:+0;-0;0} s from the server's clock{(skew.Duration() > s_maxClockSkew ? " (enable NTP: timedatectl set-ntp true)" : string.Empty)}"));
            }

            if (settings.UdpPort > 0)
            {
                try
                {
                    var token = await UdpToken.FetchAsync(endpoint, settings.RequestTimeout, cancellationToken);
                    var udp = await new UdpEchoTest(endpoint, settings, TimeProvider.System, token).RunAsync(cancellationToken);
                    report(true, what + " udp", string.Create(CultureInfo.InvariantCulture, $"echo on port {settings.UdpPort}: {udp.RttMs.Count}/{settings.UdpPackets} answered"));
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidDataException or FormatException or System.Text.Json.JsonException)
                {
                    report(false, what + " udp", ex.Message);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            report(false, what + " http", $"{server} unreachable via {link.Bind ?? "the default route"}: {ex.InnerException?.Message ?? ex.Message}");
        }
    }
}
