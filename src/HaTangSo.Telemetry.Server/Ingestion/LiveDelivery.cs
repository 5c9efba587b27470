namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>What the live lane does with a result it received.</summary>
internal enum LiveAdmission
{
    /// <summary>Taken: written first, remembered until its copy comes through the persistent session.</summary>
    Taken,

    /// <summary>The persistent session delivered it first: that session has caught up; the live lane leaves it alone.</summary>
    SeenOnSession,

    /// <summary>The ledger is full: the result waits in the persistent session like the backlog.</summary>
    Full,
}

/// <summary>A delivery's identity in the <see cref="LiveLedger"/>: its topic and payload, compared in full (the hash only narrows).</summary>
internal readonly struct DeliveryKey : IEquatable<DeliveryKey>
{
    private readonly string _topic;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly int _hash;

    public DeliveryKey(string topic, ReadOnlyMemory<byte> payload)
    {
        (_topic, _payload) = (topic, payload);
        var hash = new HashCode();
        hash.Add(topic, StringComparer.Ordinal);
        hash.AddBytes(payload.Span);
        _hash = hash.ToHashCode();
    }

    public bool Equals(DeliveryKey other) =>
        _hash == other._hash && string.Equals(_topic, other._topic, StringComparison.Ordinal) && _payload.Span.SequenceEqual(other._payload.Span);

    public override bool Equals(object? obj) => obj is DeliveryKey other && Equals(other);

    public override int GetHashCode() => _hash;
}
