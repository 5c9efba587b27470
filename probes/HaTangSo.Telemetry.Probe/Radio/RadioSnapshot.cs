namespace HaTangSo.Telemetry.Probe.Radio;

/// <summary>
/// What ModemManager said at one moment: the technology (a <see cref="Contracts.RadioTechnology"/> value), the
/// registered network, the serving cell, and the signal of LTE and of NR (both can be present on 5G non-standalone).
/// </summary>
internal sealed record RadioSnapshot(string AccessTechnology, string? OperatorCode)
{
    /// <summary>The serving cell's band (<c>B3</c>, <c>n78</c>), when the modem gave its channel.</summary>
    public string? Band { get; init; }

    /// <summary>The serving cell's id (hexadecimal, as ModemManager prints it).</summary>
    public string? CellId { get; init; }

    /// <summary>LTE signal (<c>modem.signal.lte</c>).</summary>
    public SignalValues? Lte { get; init; }

    /// <summary>NR signal (<c>modem.signal.5g</c>).</summary>
    public SignalValues? Nr { get; init; }
}

/// <summary>One technology's signal from <c>mmcli --signal-get</c>.</summary>
internal sealed record SignalValues(double? RsrpDbm, double? RsrqDb, double? SinrDb)
{
    public bool IsEmpty => RsrpDbm is null && RsrqDb is null && SinrDb is null;
}
