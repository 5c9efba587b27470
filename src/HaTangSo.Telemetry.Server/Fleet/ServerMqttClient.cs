using MQTTnet;

namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>
/// The server's one broker session (the ingestion service's), shared for what the server publishes to probes: the
/// broker binds the server's login to one client id, so a second connection would take the session over.
/// </summary>
internal sealed class ServerMqttClient
{
    private readonly Lock _lock = new();
    private IMqttClient? _client;
    private long _generation;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Increases with every new connection: a publisher reconciles once per connection.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The connected client, or null.</summary>
    public IMqttClient? Current
    {
        get
        {
            lock (_lock)
            {
                return _client is { IsConnected: true } client ? client : null;
            }
        }
    }

    /// <summary>Called by the ingestion service once subscribed.</summary>
    public void SetConnected(IMqttClient client)
    {
        lock (_lock)
        {
            _client = client;
            Interlocked.Increment(ref _generation);
            _connected.TrySetResult();
        }
    }

    /// <summary>Called when the session ends.</summary>
    public void SetDisconnected()
    {
        lock (_lock)
        {
            _client = null;
            if (_connected.Task.IsCompleted)
            {
                _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Completes when a session is up.</summary>
    public Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }
}
