using System.Reflection;
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
        var lines = exception.Failures.Select(failure =>
        {
            // Failures read "Member: message" (DataAnnotations) or carry the key already in a custom message.
            var colon = failure.IndexOf(": ", StringComparison.Ordinal);
            var member = colon > 0 ? failure[..colon] : null;
            return section is null || member is null || failure.StartsWith(section + ":", StringComparison.Ordinal) || member.Contains(' ', StringComparison.Ordinal)
                ? failure
                : $"{section}:{member}: {failure[(colon + 2)..]}";
        });
        return "Invalid configuration:\n  " + string.Join("\n  ", lines);
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
