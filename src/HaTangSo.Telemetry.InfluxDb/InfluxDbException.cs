namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>InfluxDB refused a request, or could not be reached.</summary>
public sealed class InfluxDbException : Exception
{
    /// <summary>Creates an exception for an HTTP answer or a transport failure.</summary>
    public InfluxDbException(string message, int? statusCode, string? error, bool isRetryable, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Error = error;
        IsRetryable = isRetryable;
    }

    /// <summary>The HTTP status, or null when no answer came (connection refused, timeout).</summary>
    public int? StatusCode { get; }

    /// <summary>InfluxDB's own error text (the <c>error</c> of its JSON answer).</summary>
    public string? Error { get; }

    /// <summary>
    /// True when trying again later can succeed: no answer, a timeout, 408, 429 or 5xx. False when the
    /// request itself is wrong (other 4xx).
    /// </summary>
    public bool IsRetryable { get; }

    /// <summary>A 400 whose text says some lines were written and others refused.</summary>
    public bool IsPartialWrite => StatusCode == 400 && Error?.Contains("partial write", StringComparison.OrdinalIgnoreCase) == true;
}
