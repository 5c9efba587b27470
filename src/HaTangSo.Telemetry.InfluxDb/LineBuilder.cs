using System.Text;

namespace HaTangSo.Telemetry.InfluxDb;

/// <summary>
/// Builds line-protocol text, one point after another, into one buffer:
/// <c>measurement,tag=v,... field=v,... timestamp\n</c>. Tags are written sorted by key (InfluxDB's
/// recommendation: it saves the server a sort); empty tag values are omitted, since InfluxDB has none.
/// </summary>
public sealed class LineBuilder
{
    private readonly StringBuilder _builder;
    private readonly List<KeyValuePair<string, string>> _tags = new(16);
    private State _state = State.Idle;
    private int _lineStart;

    /// <summary>Creates a builder with room for about <paramref name="capacity"/> characters.</summary>
    public LineBuilder(int capacity = 1024) => _builder = new StringBuilder(capacity);

    private enum State
    {
        Idle,
        Tags,
        Fields,
    }

    /// <summary>The number of complete points.</summary>
    public int Count { get; private set; }

    /// <summary>Starts a point.</summary>
    public LineBuilder Measurement(string name)
    {
        if (_state != State.Idle)
        {
            throw new InvalidOperationException("The previous point has no timestamp yet; call Timestamp or End first.");
        }

        _lineStart = _builder.Length;
        LineProtocol.AppendMeasurement(_builder, name);
        _state = State.Tags;
        return this;
    }

    /// <summary>Adds a tag; null or empty values are left out.</summary>
    public LineBuilder Tag(string key, string? value)
    {
        if (_state != State.Tags)
        {
            throw new InvalidOperationException("Tags go after Measurement and before the first field.");
        }

        if (!string.IsNullOrEmpty(value))
        {
            _tags.Add(new(key, value));
        }

        return this;
    }

    /// <summary>Adds a float field.</summary>
    public LineBuilder Field(string key, double value)
    {
        BeginField(key);
        LineProtocol.AppendFloat(_builder, value, key);
        return this;
    }

    /// <summary>Adds a float field when <paramref name="value"/> has one; absent values are left out, never 0.</summary>
    public LineBuilder Field(string key, double? value) => value is { } v ? Field(key, v) : this;

    /// <summary>Adds an integer field.</summary>
    public LineBuilder Field(string key, long value)
    {
        BeginField(key);
        LineProtocol.AppendInteger(_builder, value);
        return this;
    }

    /// <summary>Adds a boolean field.</summary>
    public LineBuilder Field(string key, bool value)
    {
        BeginField(key);
        _builder.Append(value ? "true" : "false");
        return this;
    }

    /// <summary>Adds a string field; null leaves it out.</summary>
    public LineBuilder Field(string key, string? value)
    {
        if (value is null)
        {
            return this;
        }

        BeginField(key);
        LineProtocol.AppendStringField(_builder, value);
        return this;
    }

    /// <summary>Ends the point with a timestamp in the precision the batch is written with.</summary>
    public LineBuilder Timestamp(long timestamp)
    {
        EnsureFields();
        LineProtocol.AppendLong(_builder.Append(' '), timestamp);
        return End();
    }

    /// <summary>Ends the point without a timestamp (the server's clock applies).</summary>
    public LineBuilder End()
    {
        EnsureFields();
        _builder.Append('\n');
        _state = State.Idle;
        Count++;
        return this;
    }

    /// <summary>Discards a point that is being built (for example after an <see cref="ArgumentException"/>).</summary>
    public void Abandon()
    {
        _builder.Length = _lineStart;
        _tags.Clear();
        _state = State.Idle;
    }

    /// <summary>Removes everything.</summary>
    public void Clear()
    {
        _builder.Clear();
        _tags.Clear();
        _state = State.Idle;
        Count = 0;
    }

    /// <summary>The line-protocol text of the complete points.</summary>
    public override string ToString() => _state == State.Idle ? _builder.ToString() : _builder.ToString(0, _lineStart);

    /// <summary>The complete points without the last line break (one point as one line; one string, no trimmed copy).</summary>
    public string ToStringWithoutFinalLineBreak()
    {
        var length = _state == State.Idle ? _builder.Length : _lineStart;
        return length > 0 && _builder[length - 1] == '\n' ? _builder.ToString(0, length - 1) : _builder.ToString(0, length);
    }

    private void BeginField(string key)
    {
        if (_state == State.Tags)
        {
            _tags.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            foreach (var (tagKey, tagValue) in _tags)
            {
                _builder.Append(',');
                LineProtocol.AppendKey(_builder, tagKey, "tag key");
                _builder.Append('=');
                LineProtocol.AppendTagValue(_builder, tagKey, tagValue);
            }

            _tags.Clear();
            _builder.Append(' ');
            _state = State.Fields;
        }
        else if (_state == State.Fields)
        {
            _builder.Append(',');
        }
        else
        {
            throw new InvalidOperationException("Fields go after Measurement.");
        }

        LineProtocol.AppendKey(_builder, key, "field key");
        _builder.Append('=');
    }

    private void EnsureFields()
    {
        if (_state != State.Fields)
        {
            throw new InvalidOperationException("A point needs at least one field.");
        }
    }
}
