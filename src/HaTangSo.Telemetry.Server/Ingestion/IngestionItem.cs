using HaTangSo.Telemetry.Server.Registry;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>What a topic says a message is.</summary>
internal enum MessageKind
{
    /// <summary>The topic is not one of the contract's.</summary>
    Unknown,

    /// <summary><c>hts/v1/probes/{probeId}/results</c>.</summary>
    Result,

    /// <summary><c>hts/v1/probes/{probeId}/status</c>.</summary>
    Status,
}

/// <summary>
/// One message on its way through a batch: what its topic says (set once, on arrival) and what the checks made of it
/// (set again if the batch is split and run again). It ends as a line to write, a status to record, a refusal, or
/// nothing to do (an empty retained status).
/// </summary>
internal sealed class IngestionItem(ReceivedMessage message)
{
    public ReceivedMessage Message { get; } = message;

    /// <summary>The probe id of the topic, when the topic is one of the contract's.</summary>
    public string? ProbeId { get; set; }

    public MessageKind Kind { get; set; }

    /// <summary>The registered probe of the topic (set on arrival, after a reload if the probe was unknown).</summary>
    public ProbeLocation? Probe { get; set; }

    /// <summary>A refusal decided on arrival (topic, processing error), which every later run keeps.</summary>
    public Refusal? ArrivalRefusal { get; set; }

    /// <summary>True when the arrival bucket was empty: the message is counted, not processed.</summary>
    public bool Counted { get; set; }

    public Refusal? Refusal { get; set; }

    public string? ResultId { get; set; }

    /// <summary>The point, tagged with the registry's values.</summary>
    public string? Line { get; set; }

    public ResultKey Key { get; set; }

    public AcceptedStatus? Status { get; set; }

    /// <summary>The command a result says it answers (checked against the registry before the point is written).</summary>
    public Guid? CommandId { get; set; }

    /// <summary>Forgets what the checks decided (before the checks run again).</summary>
    public void Reset()
    {
        Refusal = ArrivalRefusal;
        ResultId = null;
        Line = null;
        Key = default;
        Status = null;
        CommandId = null;
    }
}
