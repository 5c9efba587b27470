namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>Whether the ingestion client is connected, and which connection is current.</summary>
internal sealed class MqttConnectionState
{
    private long _generation;
    private int _connected;

    /// <summary>Increases with every connection attempt.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsConnected => Volatile.Read(ref _connected) == 1;

    public long NextGeneration() => Interlocked.Increment(ref _generation);

    public void SetConnected() => Volatile.Write(ref _connected, 1);

    public void SetDisconnected() => Volatile.Write(ref _connected, 0);
}
