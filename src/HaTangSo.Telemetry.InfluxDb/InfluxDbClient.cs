using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>
/// A small client for the InfluxDB v1 HTTP API: <c>/write</c> (line protocol), <c>/query</c> (InfluxQL) and
/// <c>/ping</c>. InfluxDB 2.x and 3.x serve the same endpoints in compatibility mode. Credentials travel in
/// headers only, never in URLs or exception messages.
/// </summary>
public sealed class InfluxDbClient
{
    private readonly HttpClient _http;
    private readonly InfluxDbConnection _connection;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Creates a client over <paramref name="http"/> (its timeout applies to each request).</summary>
    public InfluxDbClient(HttpClient http, InfluxDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(connection);
        _http = http;
        _connection = connection;
        _authorization = connection switch
        {
            { Token: { Length: > 0 } token } => new AuthenticationHeaderValue("Token", token),
            { Username: { Length: > 0 } user } => new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{connection.Password}"))),
            _ => null,
        };
    }

    /// <summary>The database this client writes to and queries.</summary>
    public string Database => _connection.Database;

    /// <summary>Writes line-protocol text; returns when InfluxDB answered 204.</summary>
    /// <exception cref="InfluxDbException">InfluxDB refused the write or could not be reached.</exception>
    public Task WriteAsync(string lines, WritePrecision precision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return WriteAsync(Encoding.UTF8.GetBytes(lines), precision, cancellationToken);
    }

    /// <summary>
    /// Writes line-protocol text already encoded as UTF-8 (the caller may reuse the buffer once this returns); returns
    /// when InfluxDB answered 204.
    /// </summary>
    /// <exception cref="InfluxDbException">InfluxDB refused the write or could not be reached.</exception>
    public async Task WriteAsync(ReadOnlyMemory<byte> utf8Lines, WritePrecision precision, CancellationToken cancellationToken)
    {
        var query = $"db={Uri.EscapeDataString(_connection.Database)}&precision={precision.ToQueryValue()}";
        if (!string.IsNullOrEmpty(_connection.RetentionPolicy))
        {
            query += "&rp=" + Uri.EscapeDataString(_connection.RetentionPolicy);
        }

        using var compressed = _connection.Gzip ? Gzip(utf8Lines.Span) : null;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_connection.BaseAddress, "write?" + query));
        request.Content = new ReadOnlyMemoryContent(compressed is null ? utf8Lines : compressed.GetBuffer().AsMemory(0, (int)compressed.Length));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        if (compressed is not null)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }

        using var response = await SendAsync(request, "write", cancellationToken);
    }

    /// <summary>Runs InfluxQL; statement errors become an <see cref="InfluxDbException"/>.</summary>
    public async Task<IReadOnlyList<StatementResult>> QueryAsync(string influxQl, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_connection.BaseAddress, "query?epoch=ns"))
        {
            Content = new FormUrlEncodedContent([new("q", influxQl), new("db", _connection.Database)]),
        };
        using var response = await SendAsync(request, "query", cancellationToken);
        var result = await JsonSerializer.DeserializeAsync(
            await response.Content.ReadAsStreamAsync(cancellationToken), InfluxJsonContext.Default.QueryResponse, cancellationToken);
        if (result?.Error is { } error)
        {
            throw new InfluxDbException("InfluxDB query failed: " + error, (int)response.StatusCode, error, isRetryable: false);
        }

        var statements = result?.Results ?? [];
        foreach (var statement in statements)
        {
            if (statement.Error is { } statementError)
            {
                throw new InfluxDbException($"InfluxQL statement {statement.StatementId} failed: {statementError}", (int)response.StatusCode, statementError, isRetryable: false);
            }
        }

        return statements;
    }

    /// <summary>The rows of every series of the first statement.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, JsonElement>>> QueryRowsAsync(string influxQl, CancellationToken cancellationToken)
    {
        var statements = await QueryAsync(influxQl, cancellationToken);
        return statements.Count == 0 ? [] : [.. (statements[0].Series ?? []).SelectMany(s => s.Rows())];
    }

    /// <summary>Checks that InfluxDB is up; returns its version (<c>X-Influxdb-Version</c>).</summary>
    public async Task<string?> PingAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_connection.BaseAddress, "ping"));
        using var response = await SendAsync(request, "ping", cancellationToken);
        return response.Headers.TryGetValues("X-Influxdb-Version", out var values) ? values.FirstOrDefault() : null;
    }

    /// <summary>
    /// Creates the database (idempotent in 1.x) and makes <paramref name="retentionPolicy"/> its default with
    /// <paramref name="duration"/>, creating or altering it. Not for 2.x/3.x, where a DBRP mapping does this.
    /// </summary>
    public async Task EnsureDatabaseAsync(string retentionPolicy, TimeSpan duration, CancellationToken cancellationToken)
    {
        var database = InfluxQl.QuoteIdentifier(_connection.Database);
        var policy = $"{InfluxQl.QuoteIdentifier(retentionPolicy)} ON {database} DURATION {InfluxQl.Duration(duration)} REPLICATION 1 DEFAULT";
        await QueryAsync("CREATE DATABASE " + database, cancellationToken);
        try
        {
            await QueryAsync("CREATE RETENTION POLICY " + policy, cancellationToken);
        }
        catch (InfluxDbException ex) when (ex.Error?.Contains("already exists", StringComparison.OrdinalIgnoreCase) == true)
        {
            await QueryAsync("ALTER RETENTION POLICY " + policy, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = _authorization;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new InfluxDbException($"InfluxDB {what} failed: {ex.Message}", null, null, isRetryable: true, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InfluxDbException($"InfluxDB {what} timed out.", null, null, isRetryable: true, ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var error = TryReadError(text) ?? (text.Length > 500 ? text[..500] : text);
            var retryable = status >= 500 || status is 408 or 429;
            throw new InfluxDbException($"InfluxDB {what} answered {status}: {error}", status, error, retryable);
        }
    }

    private static string? TryReadError(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, InfluxJsonContext.Default.ErrorBody)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Fastest: on a 2-core host shared with InfluxDB and the broker, CPU is what is short; line protocol still shrinks
    // about tenfold. The stream's own buffer is sent (no copy).
    private static MemoryStream Gzip(ReadOnlySpan<byte> body)
    {
        var output = new MemoryStream((body.Length / 6) + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return output;
    }
}
