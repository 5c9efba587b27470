using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.SpeedTest;

/// <summary>Runs the host; a configuration error is printed as one line per bad key and ends with code 2.</summary>
internal static class SpeedTestHost
{
    public static int Run(WebApplication app)
    {
        try
        {
            // Validate before the host starts, so a bad key is one plain line instead of a hosting failure.
            _ = app.Services.GetRequiredService<IOptions<SpeedTestOptions>>().Value;
            app.Run();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            var lines = ex.Failures.Select(failure => failure.StartsWith(SpeedTestOptions.SectionName + ":", StringComparison.Ordinal)
                ? failure
                : $"{SpeedTestOptions.SectionName}:{failure}");
            Console.Error.WriteLine("Invalid configuration:\n  " + string.Join("\n  ", lines));
            return 2;
        }
    }
}
