namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Whether the ingestion client is connected, and which connection is current.</summary>
internal sealed class MqttConnectionState
{
    private long _generation;
    private int _connected;
    private ThrottledChannel? _channel;

    /// <summary>Increases with every connection attempt.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsConnected => Volatile.Read(ref _connected) == 1;

    public long NextGeneration() => Interlocked.Increment(ref _generation);

    public void SetConnected() => Volatile.Write(ref _connected, 1);

    public void SetDisconnected() => Volatile.Write(ref _connected, 0);

    /// <summary>The current connection's channel, if any.</summary>
    public ThrottledChannel? Channel => Volatile.Read(ref _channel);

    /// <summary>Makes <paramref name="channel"/> the current connection's channel (before its CONNECT).</summary>
    public void Attach(ThrottledChannel channel) => Volatile.Write(ref _channel, channel);

    /// <summary>
    /// Gathers the current connection's writes (a batch's PUBACKs) until the returned channel's
    /// <see cref="ThrottledChannel.ReleaseWritesAsync"/>; null when there is no channel.
    /// </summary>
    public ThrottledChannel? HoldWrites()
    {
        var channel = Volatile.Read(ref _channel);
        channel?.HoldWrites();
        return channel;
    }
}
