using HaTangSo.Telemetry.Server.Releases;

namespace HaTangSo.Telemetry.Server.Tests;

public sealed class ReleaseOptionsTests
{
    private readonly ReleaseOptionsValidator _validator = new();

    [Fact]
    public void Validate_NoDirectory_ValidAndNothingOffered()
    {
        Assert.True(_validator.Validate(null, new ReleaseOptions()).Succeeded);
    }

    [Theory]
    [InlineData("releases")]
    [InlineData("/nonexistent/hts-releases")]
    public void Validate_RelativeOrMissingDirectory_FailsNamingTheKey(string directory)
    {
        var result = _validator.Validate(null, new ReleaseOptions { Directory = directory });

        Assert.True(result.Failed);
        Assert.Contains("Releases:Directory", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ExistingAbsoluteDirectory_Valid()
    {
        var directory = Directory.CreateTempSubdirectory("hts-releases-");
        try
        {
            Assert.True(_validator.Validate(null, new ReleaseOptions { Directory = directory.FullName }).Succeeded);
        }
        finally
        {
            directory.Delete();
        }
    }
}
