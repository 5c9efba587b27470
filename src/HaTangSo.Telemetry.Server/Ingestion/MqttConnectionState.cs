namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Whether the ingestion client is connected, and which connection is current.</summary>
internal sealed class MqttConnectionState
{
    private long _generation;
    private int _connected;
    private IPubAckWriter? _channel;

    /// <summary>Increases with every connection attempt.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsConnected => Volatile.Read(ref _connected) == 1;

    public long NextGeneration() => Interlocked.Increment(ref _generation);

    public void SetConnected() => Volatile.Write(ref _connected, 1);

    public void SetDisconnected() => Volatile.Write(ref _connected, 0);

    /// <summary>The current connection's channel, if any.</summary>
    public IPubAckWriter? Channel => Volatile.Read(ref _channel);

    /// <summary>Makes <paramref name="channel"/> the current connection's channel (before its CONNECT).</summary>
    public void Attach(IPubAckWriter channel) => Volatile.Write(ref _channel, channel);
}

/// <summary>A connection's way back to the broker for PUBACKs: the <see cref="ThrottledChannel"/> (tests record them).</summary>
internal interface IPubAckWriter
{
    /// <summary>The connection it carries (<see cref="MqttConnectionState.Generation"/> when it was made).</summary>
    long Generation { get; }

    /// <summary>
    /// Acknowledges QoS 1 PUBLISH packets of this connection (their packet identifiers, in the order given: MQTT 5, 4.6)
    /// with one write; 0 (a message delivered at QoS 0) is skipped.
    /// </summary>
    Task AcknowledgeAsync(IReadOnlyList<ushort> packetIds, CancellationToken cancellationToken);
}
