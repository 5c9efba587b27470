using System.Runtime.InteropServices;

namespace HaTangSo.Telemetry.Contracts.Releases;

/// <summary>The machines a probe binary is published for (Native AOT, one binary each).</summary>
public enum ProbeArchitecture
{
    /// <summary><c>linux-x64</c>: x86-64 boxes and the test machines.</summary>
    LinuxX64,

    /// <summary><c>linux-arm64</c>: ARM boxes (many commune offices).</summary>
    LinuxArm64,
}

/// <summary>The allow-list of architecture names: the .NET runtime identifiers, nothing else.</summary>
public static class ProbeArchitectures
{
    /// <summary>Every architecture, in the order they are listed to people.</summary>
    public static IReadOnlyList<ProbeArchitecture> All { get; } = [ProbeArchitecture.LinuxX64, ProbeArchitecture.LinuxArm64];

    /// <summary>The runtime identifier of <paramref name="architecture"/> (<c>linux-x64</c>, <c>linux-arm64</c>).</summary>
    public static string Name(this ProbeArchitecture architecture) => architecture switch
    {
        ProbeArchitecture.LinuxX64 => "linux-x64",
        ProbeArchitecture.LinuxArm64 => "linux-arm64",
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "not a probe architecture"),
    };

    /// <summary>Parses an exact runtime identifier from the allow-list (ordinal, no trimming, no case folding).</summary>
    public static bool TryParse(string? name, out ProbeArchitecture architecture)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name(), name, StringComparison.Ordinal))
            {
                architecture = candidate;
                return true;
            }
        }

        architecture = default;
        return false;
    }

    /// <summary>The architecture this process runs on, or null on a machine no probe binary is published for.</summary>
    public static ProbeArchitecture? Current() =>
        !OperatingSystem.IsLinux() ? null : RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => ProbeArchitecture.LinuxX64,
            Architecture.Arm64 => ProbeArchitecture.LinuxArm64,
            _ => null,
        };
}
