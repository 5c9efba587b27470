using System.CommandLine;
using System.Text.Json;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Probe.Configuration;
using HaTangSo.Telemetry.Probe.Queue;

namespace HaTangSo.Telemetry.Probe.Cli;

/// <summary><c>queue status</c> and <c>queue import</c>: look at the durable queue, or add results to it.</summary>
internal static class QueueCommand
{
    public static Command Create()
    {
        var statusConfig = RunCommand.ConfigOption();
        var status = new Command("status", "Print the queue's depth, capacity and evictions") { statusConfig };
        status.SetAction(parse =>
        {
            var config = ProbeConfigLoader.Load(parse.GetValue(statusConfig)!);
            using var queue = ResultQueue.Open(config.QueuePath, config.QueueCapacity);
            Console.WriteLine($"{config.QueuePath}: {queue.Depth} waiting of {queue.Capacity}, {queue.Evicted} evicted since created");
            return 0;
        });

        var importConfig = RunCommand.ConfigOption();
        var file = new Argument<FileInfo>("file") { Description = "hts.result.v1 messages, one JSON object per line (e.g. from measure --json)" };
        var import = new Command("import", "Queue results from a file for the running service to publish") { importConfig, file };
        import.SetAction(parse =>
        {
            var config = ProbeConfigLoader.Load(parse.GetValue(importConfig)!);
            using var queue = ResultQueue.Open(config.QueuePath, config.QueueCapacity);
            var count = 0;
            foreach (var (line, number) in File.ReadLines(parse.GetValue(file)!.FullName).Select((l, i) => (l, i + 1)))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                ResultMessage? result;
                try
                {
                    result = JsonSerializer.Deserialize(line, ContractsJsonContext.Default.ResultMessage);
                }
                catch (JsonException ex)
                {
                    Console.Error.WriteLine($"line {number}: not an hts.result.v1 message: {ex.Message}");
                    return 1;
                }

                if (result is null || result.ProbeId != config.ProbeId)
                {
                    Console.Error.WriteLine($"line {number}: probeId must be {config.ProbeId}");
                    return 1;
                }

                queue.Enqueue(result.ResultId, JsonSerializer.SerializeToUtf8Bytes(result, ContractsJsonContext.Default.ResultMessage));
                count++;
            }

            Console.WriteLine($"queued {count} result(s); {queue.Depth} waiting, {queue.Evicted} evicted since created");
            return 0;
        });
        return new Command("queue", "The durable result queue") { status, import };
    }
}
