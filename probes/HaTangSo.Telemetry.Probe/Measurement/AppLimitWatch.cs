namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>
/// Watches, over the measured span of one transfer, how much of the time the program (not the link) held the
/// transfer back (<see cref="TcpByteCounter.Pressure"/>): for a download the share of samples in which the receive
/// buffers were more than half full of unread bytes (the window closing on the sender), for an upload the share of
/// time the connections had nothing to send. A probe that keeps up holds the transfer back close to 0 % of the time.
/// </summary>
internal static class AppLimitWatch
{
    /// <summary>Samples until <paramref name="stop"/> is cancelled; the share in %, null when nothing was tracked.</summary>
    public static async Task<double?> RunAsync(
        TcpByteCounter counter, TransferDirection direction, TimeSpan interval, TimeProvider time, CancellationToken stop)
    {
        var start = time.GetTimestamp();
        var first = counter.Pressure();
        int samples = 0, filling = 0;
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                samples++;
                filling += counter.Pressure().BuffersFilling ? 1 : 0;
            }
        }
        catch (OperationCanceledException)
        {
        }

        if (direction == TransferDirection.Download)
        {
            return samples == 0 ? null : Math.Round(100.0 * filling / samples, 1);
        }

        var last = counter.Pressure();
        var span = time.GetElapsedTime(start).TotalMicroseconds * Math.Max(1, last.Connections);
        return span <= 0 || last.Connections == 0
            ? null
            : Math.Round(Math.Clamp(100 * (1 - ((last.BusyMicroseconds - first.BusyMicroseconds) / span)), 0, 100), 1);
    }
}
