using HaTangSo.Telemetry.Server.Resilience;
using Polly.Registry;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// Retries a durable write until it succeeds or the host stops, through the InfluxDB or PostgreSQL pipeline
/// (<see cref="ResilienceExtensions"/>): while the dependency is down the batch is not acknowledged, so the broker keeps
/// it; giving up would lose nothing but stall everything. A permanent error (<see cref="TransientErrors"/>) is thrown
/// to the caller at once.
/// </summary>
internal sealed class DurableRetry(ResiliencePipelineProvider<Dependency> pipelines)
{
    /// <summary>
    /// Runs <paramref name="write"/> until it succeeds. <paramref name="target"/> names the write in logs and metrics
    /// ("InfluxDB", "PostgreSQL quarantine"); its first word chooses the dependency's pipeline.
    /// </summary>
    public Task RunAsync(string target, Func<CancellationToken, Task> write, CancellationToken cancellationToken) =>
        pipelines.ExecuteAsync(
            target.StartsWith("InfluxDB", StringComparison.Ordinal) ? Dependency.InfluxDb : Dependency.PostgreSql,
            target,
            async ct => await write(ct),
            cancellationToken).AsTask();

    /// <summary>Whether a failed write may succeed later (the server's one predicate, <see cref="TransientErrors"/>).</summary>
    internal static bool IsTransient(Exception ex, CancellationToken cancellationToken) => TransientErrors.IsTransient(ex, cancellationToken);
}
