using System.Security.Cryptography;

namespace HaTangSo.Telemetry.SpeedTest.Http;

/// <summary>
/// One MiB of random bytes, made once and written repeatedly: incompressible, so a compressing middlebox
/// cannot inflate the figure, and free of per-request CPU cost (LibreSpeed's garbage.php does the same).
/// </summary>
internal sealed class RandomPayload
{
    /// <summary>One LibreSpeed chunk.</summary>
    public const int ChunkBytes = 1024 * 1024;

    public RandomPayload()
    {
        var bytes = new byte[ChunkBytes];
        RandomNumberGenerator.Fill(bytes);
        Chunk = bytes;
    }

    /// <summary>The chunk.</summary>
    public ReadOnlyMemory<byte> Chunk { get; }
}
