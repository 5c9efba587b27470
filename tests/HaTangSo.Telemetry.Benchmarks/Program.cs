using System.Globalization;
using HaTangSo.Telemetry.Benchmarks;

// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- [ingestion] [results] [paced-rate] [paced-seconds]
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- speedtest [streams] [seconds]
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- accuracy        (root: emulated links)
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- jobs [probes] [days] [rollups: 1 or 0]   (HTS_BENCH_PROVINCES=12,25,42)
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- flood [flood-messages] [honest-rate] [seconds]
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- resultids [count]
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- inflight [receive-maximum] [messages]   (does the broker honour Receive Maximum?)
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- drain [backlog] [live-rate]   (HTS_BENCH_DOTNET_gcServer=0, HTS_BENCH_Ingestion__MaxBatchSize=10000 … for the server)
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- cpu [results] [mqtt-results]   (CPU µs and bytes per result, stage by stage)
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- capacity [probes] [days] [stream-rate] [stream-seconds]
// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- upgrade [probes]   (the start-up's upgrade of pre-issue-15 probe roles on the broker)
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
var mode = args.Length > 0 && !char.IsDigit(args[0][0]) ? args[0] : "ingestion";
var numbers = args.SkipWhile(a => !char.IsDigit(a[0])).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
int Arg(int index, int fallback) => numbers.Length > index ? numbers[index] : fallback;
switch (mode)
{
    case "speedtest":
        await SpeedTestBenchmark.RunAsync(Arg(0, 4), Arg(1, 10), cts.Token);
        break;
    case "jobs":
        await JobsBenchmark.RunAsync(Arg(0, 10_000), Arg(1, 30), Arg(2, 1) != 0, cts.Token, Environment.GetEnvironmentVariable("HTS_BENCH_PROVINCES") ?? "12,25,42");
        break;
    case "flood":
        await FloodBenchmark.RunAsync(Arg(0, 1_000_000), Arg(1, 20), Arg(2, 20), cts.Token);
        break;
    case "cpu":
        await CpuBenchmark.RunAsync(Arg(0, 200_000), Arg(1, 0), cts.Token);
        break;
    case "drain":
        await DrainBenchmark.RunAsync(Arg(0, 1_000_000), Arg(1, 20), cts.Token);
        break;
    case "inflight":
        await InflightProbe.RunAsync(Arg(0, 10), Arg(1, 1_000), cts.Token);
        break;
    case "resultids":
        await ResultIdBenchmark.RunAsync(Arg(0, 1_000_000), cts.Token);
        break;
    case "capacity":
        await CapacityBenchmark.RunAsync(Arg(0, 1_000), Arg(1, 14), Arg(2, 250), Arg(3, 60), cts.Token);
        break;
    case "upgrade":
        await ProbeRoleUpgradeBenchmark.RunAsync(Arg(0, 1_000), cts.Token);
        break;
    case "accuracy":
        await AccuracyBenchmark.RunAsync(cts.Token);
        break;
    default:
        await IngestionBenchmark.RunAsync(Arg(0, 200_000), Arg(1, 1_000), Arg(2, 20), cts.Token);
        break;
}
