using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Releases;

/// <summary>Signed probe releases offered for download, bound from <c>Releases</c>. Off unless <see cref="Directory"/> is set.</summary>
public sealed class ReleaseOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Releases";

    /// <summary>
    /// The directory <c>hts-server release sign --out</c> wrote to: <c>{architecture}/{version}/</c> holding
    /// <c>manifest.json</c>, <c>manifest.json.sig</c> and <c>hts-probe</c>. An absolute path; null serves nothing (404).
    /// </summary>
    public string? Directory { get; set; }
}

/// <summary>Checks <see cref="ReleaseOptions"/> at start-up; each message names its key.</summary>
internal sealed class ReleaseOptionsValidator : IValidateOptions<ReleaseOptions>
{
    public ValidateOptionsResult Validate(string? name, ReleaseOptions options)
    {
        if (options.Directory is null)
        {
            return ValidateOptionsResult.Success;
        }

        if (!Path.IsPathFullyQualified(options.Directory))
        {
            return ValidateOptionsResult.Fail("Releases:Directory must be an absolute path.");
        }

        return System.IO.Directory.Exists(options.Directory)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Releases:Directory {options.Directory} does not exist (create it, or leave the key unset to offer no releases).");
    }
}
