using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// What is wrong with one request, keyed by the JSON path of the field (<c>links[0].name</c>) or the name of the
/// route or query parameter, each in words that name the rule. Never echoes the value: it may be hostile.
/// </summary>
internal sealed class RequestErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>True when nothing was refused.</summary>
    public bool IsEmpty => _errors.Count == 0;

    /// <summary>The JSON path of <paramref name="member"/> below <paramref name="prefix"/> (<c>links[0]</c> + <c>name</c>).</summary>
    public static string Path(string prefix, string member) => prefix.Length == 0 ? member : prefix + "." + member;

    /// <summary>Records that the field at <paramref name="path"/> breaks a rule.</summary>
    public void Add(string path, string problem)
    {
        if (!_errors.TryGetValue(path, out var list))
        {
            _errors[path] = list = [];
        }

        list.Add(problem);
    }

    /// <summary>Checks a name against its <see cref="NameRules"/> rule; a null value is allowed when not <paramref name="required"/>.</summary>
    public bool Name(string path, NameKind kind, string? value, bool required = true)
    {
        if (value is null && !required)
        {
            return true;
        }

        var reason = NameRules.Check(kind, value);
        if (reason is null)
        {
            return true;
        }

        var rule = NameRules.Describe(kind);
        Add(path, reason.Contains(rule, StringComparison.Ordinal) ? reason : $"{reason}; must be {rule}");
        return false;
    }

    /// <summary>Checks that an optional number is finite and within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public bool Range(string path, double? value, double min, double max, bool exclusiveMin = false)
    {
        if (value is not { } v)
        {
            return true;
        }

        if (double.IsFinite(v) && (exclusiveMin ? v > min : v >= min) && v <= max)
        {
            return true;
        }

        Add(path, $"must be a number {(exclusiveMin ? "above" : "from")} {min} {(exclusiveMin ? "and at most" : "to")} {max}");
        return false;
    }

    /// <summary>The errors in the shape of a validation problem document.</summary>
    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
