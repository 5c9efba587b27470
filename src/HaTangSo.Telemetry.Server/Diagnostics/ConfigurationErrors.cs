using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Diagnostics;

/// <summary>
/// Turns an options validation failure into one line per bad key, named as it is configured
/// (<c>Mqtt:Port</c>, settable as <c>Mqtt__Port</c> in the environment), instead of a stack trace.
/// </summary>
internal static class ConfigurationErrors
{
    public static string Describe(OptionsValidationException exception)
    {
        var section = exception.OptionsType
            .GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string;
        // The options source generator names a nested member by its type path (MqttOptions.LiveLane.OpenAfter) and may
        // word the message itself: that path is the key Mqtt:LiveLane:OpenAfter.
        var typePath = new Regex(@"\b" + Regex.Escape(exception.OptionsType.Name) + @"((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", RegexOptions.CultureInvariant);
        var lines = exception.Failures.Select(failure =>
        {
            if (section is not null && typePath.Match(failure) is { Success: true } nested)
            {
                return Nested(failure, section, typePath, nested);
            }

            // Failures read "Member: message" (DataAnnotations) or carry the key already in a custom message.
            var colon = failure.IndexOf(": ", StringComparison.Ordinal);
            var member = colon > 0 ? failure[..colon] : null;
            return section is null || member is null || failure.StartsWith(section + ":", StringComparison.Ordinal) || member.Contains(' ', StringComparison.Ordinal)
                ? failure
                : $"{section}:{member}: {failure[(colon + 2)..]}";
        });
        return "Invalid configuration:\n  " + string.Join("\n  ", lines);
    }

    private static string Nested(string failure, string section, Regex typePath, Match nested)
    {
        string Key(Match m) => section + m.Groups[1].Value.Replace('.', ':');
        var key = Key(nested);
        var text = typePath.Replace(failure, Key);
        var member = nested.Groups[1].Value[(nested.Groups[1].Value.LastIndexOf('.') + 1)..] + ": ";
        text = text.StartsWith(member, StringComparison.Ordinal) ? text[member.Length..] : text;
        return text.StartsWith(key, StringComparison.Ordinal) ? text : $"{key}: {text}";
    }

    /// <summary>Runs the host; a configuration error is printed plainly and ends the process with code 2.</summary>
    public static int Run(WebApplication app)
    {
        try
        {
            app.Run();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            Console.Error.WriteLine(Describe(ex));
            return 2;
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            foreach (var inner in ex.InnerExceptions.Cast<OptionsValidationException>())
            {
                Console.Error.WriteLine(Describe(inner));
            }

            return 2;
        }
    }
}
