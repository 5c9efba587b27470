namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>Which way a throughput test moves data.</summary>
internal enum TransferDirection
{
    /// <summary>Server to probe (<c>garbage</c>).</summary>
    Download,

    /// <summary>Probe to server (<c>empty</c>).</summary>
    Upload,
}
