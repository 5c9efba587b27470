using Npgsql;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// PostgreSQL refused a batch statement for its data (a constraint, an encoding, a limit, a raised error: any error
/// that is not transient), as opposed to being unavailable. Not retried: the pipeline splits the batch to find the
/// message that causes it. Thrown in place of the <see cref="PostgresException"/> so that no retry policy treats it
/// as an outage.
/// </summary>
internal sealed class DataRefusedException(PostgresException inner)
    : Exception($"PostgreSQL refused the data: {inner.SqlState}: {inner.MessageText}", inner)
{
    /// <summary>Runs a statement; a non-transient PostgreSQL error becomes a <see cref="DataRefusedException"/>.</summary>
    public static Func<CancellationToken, Task> Guard(Func<CancellationToken, Task> write) => async cancellationToken =>
    {
        try
        {
            await write(cancellationToken);
        }
        catch (PostgresException ex) when (!ex.IsTransient)
        {
            throw new DataRefusedException(ex);
        }
    };
}
