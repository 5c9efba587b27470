namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// A batch's place in the write pipeline (<see cref="IngestionOptions.BatchesInFlight"/>). A batch spends most of its
/// time waiting: for PostgreSQL's replay check, then for InfluxDB's write. With two batches in flight the batch writer
/// takes the next batch as soon as this one is <see cref="Prepared"/> (checked, and its result ids recorded), so the next
/// one is checked while this one is written. The acknowledgements still leave in the order the batches were taken: each
/// batch waits for <see cref="Previous"/> before its PUBACKs (MQTT 5, 4.6), and a batch that fails is never acknowledged,
/// whatever the batch after it does.
/// </summary>
internal sealed class BatchTurn(Task previous)
{
    private readonly TaskCompletionSource _prepared = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The batch taken before this one: completes (never faults) once it is acknowledged or has failed.</summary>
    public Task Previous { get; } = previous;

    /// <summary>Completes when this batch no longer needs the checks: the next batch may be taken.</summary>
    public Task Prepared => _prepared.Task;

    /// <summary>This batch is checked and its result ids recorded, or it has ended (idempotent).</summary>
    public void MarkPrepared() => _prepared.TrySetResult();
}
