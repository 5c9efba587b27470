namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>Where and how to reach one InfluxDB database over the v1 HTTP API.</summary>
public sealed record InfluxDbConnection
{
    /// <summary>Base address, e.g. <c>http://127.0.0.1:8086</c>.</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>The database (1.x), or the database name mapped to a bucket (2.x/3.x).</summary>
    public required string Database { get; init; }

    /// <summary>The retention policy to write to; null uses the database's default.</summary>
    public string? RetentionPolicy { get; init; }

    /// <summary>1.x user (HTTP basic authentication).</summary>
    public string? Username { get; init; }

    /// <summary>1.x password.</summary>
    public string? Password { get; init; }

    /// <summary>2.x/3.x token, sent as <c>Authorization: Token ...</c>; takes precedence over a user.</summary>
    public string? Token { get; init; }

    /// <summary>Compress write bodies with gzip.</summary>
    public bool Gzip { get; init; } = true;
}
