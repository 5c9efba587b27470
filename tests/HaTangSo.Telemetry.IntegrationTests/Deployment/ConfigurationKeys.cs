using System.Collections;
using System.Reflection;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Deployment;

/// <summary>
/// The configuration keys a host really binds, read from its options classes (each has a <c>SectionName</c>
/// constant): an environment variable in a compose file or a manifest that names no such key would be silently
/// ignored by the host, so the deployment tests refuse it.
/// </summary>
internal sealed class ConfigurationKeys
{
    // Read by ASP.NET Core, .NET, the OpenTelemetry SDK or the container, not by an options class.
    private static readonly string[] s_hostPrefixes = ["ASPNETCORE_", "DOTNET_", "OTEL_", "Logging__", "Kestrel__"];
    private static readonly string[] s_hostNames = ["TZ", "HOME"];

    private readonly Dictionary<string, Type> _sections;
    private readonly HashSet<string> _connectionStrings;

    private ConfigurationKeys(Assembly assembly, params string[] connectionStrings)
    {
        _sections = assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Type.Name.EndsWith("Options", StringComparison.Ordinal))
            .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.OrdinalIgnoreCase);
        _connectionStrings = new HashSet<string>(connectionStrings, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The server's keys (every options class, and <c>ConnectionStrings:Postgres</c>).</summary>
    public static ConfigurationKeys Server { get; } = new(typeof(Server.ServerApp).Assembly, "Postgres");

    /// <summary>The speed-test server's keys.</summary>
    public static ConfigurationKeys SpeedTest { get; } = new(
        Assembly.LoadFrom(BuildOutput.File("src/HaTangSo.Telemetry.SpeedTest", "HaTangSo.Telemetry.SpeedTest.dll")));

    /// <summary>The sections found; a test asserts it found the ones it expects.</summary>
    public IReadOnlyCollection<string> Sections => _sections.Keys;

    /// <summary>Null when <paramref name="variable"/> (e.g. <c>Mqtt__ClientId</c>, <c>Api__Keys__0__Sha256</c>) is bound; otherwise why not.</summary>
    public string? Problem(string variable)
    {
        if (s_hostNames.Contains(variable, StringComparer.Ordinal) || s_hostPrefixes.Any(p => variable.StartsWith(p, StringComparison.Ordinal)))
        {
            return null;
        }

        var segments = variable.Split("__");
        if (segments[0].Equals("ConnectionStrings", StringComparison.OrdinalIgnoreCase))
        {
            return segments.Length == 2 && _connectionStrings.Contains(segments[1]) ? null : $"{variable}: no such connection string";
        }

        if (!_sections.TryGetValue(segments[0], out var type))
        {
            return $"{variable}: no options class binds section '{segments[0]}' (known: {string.Join(", ", _sections.Keys)})";
        }

        for (var i = 1; i < segments.Length; i++)
        {
            var element = ElementType(type);
            if (element is not null)
            {
                if (!int.TryParse(segments[i], out _))
                {
                    return $"{variable}: '{segments[i]}' should be an index into {type.Name}";
                }

                type = element;
                continue;
            }

            var property = type.GetProperty(segments[i], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return $"{variable}: {type.Name} has no property '{segments[i]}'";
            }

            type = property.PropertyType;
        }

        return ElementType(type) is null && (type.IsPrimitive || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(Uri) || type.IsEnum
            || Nullable.GetUnderlyingType(type) is not null || type == typeof(decimal))
            ? null
            : $"{variable}: names {type.Name}, not a value";
    }

    private static Type? ElementType(Type type) =>
        type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type)
            ? null
            : type.IsArray ? type.GetElementType() : type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
}
