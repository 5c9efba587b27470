namespace HaTangSo.Telemetry.Testing;

/// <summary>One PostgreSQL cluster per test assembly; each test creates its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The running cluster.</summary>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("PostgreSQL has not started.");

    /// <summary>Creates a fresh database for one test.</summary>
    public Task<string> NewDatabaseAsync(CancellationToken cancellationToken = default) =>
        Server.CreateDatabaseAsync(cancellationToken: cancellationToken);

    /// <inheritdoc />
    public async ValueTask InitializeAsync() => _server = await PostgresServer.StartAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
