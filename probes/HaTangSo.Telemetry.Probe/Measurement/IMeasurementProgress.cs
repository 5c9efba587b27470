namespace HaTangSo.Telemetry.Probe.Measurement;

/// <summary>Receives what a running test is doing (the <c>measure</c> table); the agent passes none.</summary>
internal interface IMeasurementProgress
{
    /// <summary>A step begins (<c>DNS</c>, <c>Latency</c>, <c>UDP</c>, <c>Download</c>, <c>Upload</c>).</summary>
    void Started(string step);

    /// <summary>The current rate of a transfer, twice a second.</summary>
    void Rate(string step, TimeSpan elapsed, double mbps);

    /// <summary>A step ended with <paramref name="summary"/> (or the error).</summary>
    void Finished(string step, string summary);
}
