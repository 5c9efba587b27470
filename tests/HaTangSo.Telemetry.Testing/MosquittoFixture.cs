namespace HaTangSo.Telemetry.Testing;

/// <summary>One broker per test assembly (<c>[assembly: AssemblyFixture(typeof(MosquittoFixture))]</c>).</summary>
public sealed class MosquittoFixture : IAsyncLifetime
{
    private MosquittoBroker? _broker;

    /// <summary>The running broker.</summary>
    public MosquittoBroker Broker => _broker ?? throw new InvalidOperationException("The broker has not started.");

    /// <inheritdoc />
    public async ValueTask InitializeAsync() => _broker = await MosquittoBroker.StartAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
