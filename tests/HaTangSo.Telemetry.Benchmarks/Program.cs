using HaTangSo.Telemetry.Benchmarks;

// dotnet run -c Release --project tests/HaTangSo.Telemetry.Benchmarks -- [results] [paced-rate] [paced-seconds]
var total = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
var pacedRate = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000;
var pacedSeconds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20;
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
await IngestionBenchmark.RunAsync(total, pacedRate, pacedSeconds, cts.Token);
