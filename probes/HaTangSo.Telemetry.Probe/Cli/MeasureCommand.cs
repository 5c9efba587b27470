using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Measurement;
using HaTangSo.Telemetry.Probe.Radio;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaTangSo.Telemetry.Probe.Cli;

/// <summary><c>measure</c>: one test of one link, no broker, no config file (the contract's one-shot command).</summary>
internal static class MeasureCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Base URL of the speed-test server (LibreSpeed protocol), e.g. http://10.0.0.5:8090/", Required = true };
        var bind = new Option<string?>("--bind") { Description = "Source address of the link to measure (every socket is bound to it)" };
        var duration = new Option<double>("--duration") { Description = "Seconds of each transfer, warm-up included (3-60)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double?>("--warmup") { Description = "Seconds left out at the start of each transfer (default: 3, or less for short durations)" };
        var streams = new Option<int>("--streams") { Description = "Parallel TCP streams per direction (1-32)", DefaultValueFactory = _ => 4 };
        var udpPort = new Option<int>("--udp-port") { Description = "UDP echo port of the server for loss and jitter; 0 skips it", DefaultValueFactory = _ => 9091 };
        var json = new Option<bool>("--json") { Description = "Print one hts.result.v1 message instead of the table" };
        var probeId = new Option<string>("--probe-id") { Description = "probeId written in the message", DefaultValueFactory = _ => "measure-cli" };
        var linkName = new Option<string>("--link") { Description = "Link name written in the message", DefaultValueFactory = _ => "adhoc" };
        var access = new Option<string>("--access") { Description = "fixed or mobile", DefaultValueFactory = _ => AccessKind.Fixed };
        var @operator = new Option<string>("--operator") { Description = "Operator written in the message", DefaultValueFactory = _ => "unknown" };
        var technology = new Option<string>("--technology") { Description = "Technology written in the message", DefaultValueFactory = _ => "unknown" };
        var modem = new Option<string?>("--modem") { Description = "ModemManager modem index (mmcli -m N) of a mobile link: its radio facts are read before and after the test" };
        var command = new Command("measure", "Measure one link now against a speed-test server and print the result")
        {
            server, bind, duration, warmup, streams, udpPort, json, probeId, linkName, access, @operator, technology, modem,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var seconds = parse.GetValue(duration);
            var source = parse.GetValue(bind);
            IPAddress? sourceAddress = null;
            if (!Uri.TryCreate(parse.GetValue(server), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync($"--server: '{parse.GetValue(server)}' is not an http(s) URL");
                return 2;
            }

            if ((seconds is < 3 or > 60) || (source is not null && !IPAddress.TryParse(source, out sourceAddress)))
            {
                await Console.Error.WriteLineAsync(seconds is < 3 or > 60 ? "--duration: must be 3-60 seconds" : $"--bind: '{source}' is not an IP address");
                return 2;
            }

            var settings = new MeasurementSettings
            {
                Duration = TimeSpan.FromSeconds(seconds),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup) ?? Math.Min(3, seconds / 3)),
                Streams = Math.Clamp(parse.GetValue(streams), 1, 32),
                UdpPort = parse.GetValue(udpPort),
            };
            var modemIndex = parse.GetValue(modem);
            if (modemIndex is not null && (modemIndex.Length is < 1 or > 3 || !modemIndex.All(char.IsAsciiDigit)))
            {
                await Console.Error.WriteLineAsync("--modem: must be a ModemManager modem index (1-3 digits, as in mmcli -m 0)");
                return 2;
            }

            // As in probe.json: radio facts on a link that is not mobile would have the server quarantine the result.
            if (modemIndex is not null && parse.GetValue(access) != AccessKind.Mobile)
            {
                await Console.Error.WriteLineAsync("--modem: only a mobile link has a modem (add --access mobile)");
                return 2;
            }

            var asJson = parse.GetValue(json);
            IMeasurementProgress? progress = asJson ? null : new ConsoleProgress(Console.Out, !Console.IsOutputRedirected);
            if (!asJson)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Measuring {url} from {source ?? "the default route"}: {settings.Streams} streams, {seconds:0.#} s per direction"));
            }

            var radio = modemIndex is null ? null : new RadioReader(new ProcessRunner(), NullLogger.Instance, RadioReader.DefaultTimeout);
            var before = radio is null ? null : await radio.ReadAsync(modemIndex!, parse.GetValue(linkName)!, cancellationToken);
            var outcome = await new LinkMeasurer(settings, TimeProvider.System).MeasureAsync(url, sourceAddress, progress, cancellationToken);
            var after = radio is null ? null : await radio.ReadAsync(modemIndex!, parse.GetValue(linkName)!, cancellationToken);
            var link = new LinkInfo
            {
                Name = parse.GetValue(linkName)!, Access = parse.GetValue(access)!,
                Operator = parse.GetValue(@operator)!, Technology = parse.GetValue(technology)!,
            };
            var result = ResultFactory.FromOutcome(parse.GetValue(probeId)!, link, url.Host, outcome) with { Radio = RadioFacts.Combine(before, after) };
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(result, ContractsJsonContext.Default.ResultMessage));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {"Result",-10} {result.Status}: down {result.DownloadMbps} Mb/s, up {result.UploadMbps} Mb/s, latency {result.LatencyMs} ms, jitter {result.JitterMs} ms, loss {result.LossPct} %, loaded latency {result.LoadedLatencyMs} ms"));
            }

            return result.Status == ResultStatus.Failed ? 1 : 0;
        });
        return command;
    }
}
