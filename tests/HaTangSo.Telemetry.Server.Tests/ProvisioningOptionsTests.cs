using HaTangSo.Telemetry.Server.Provisioning;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>A bad <c>Provisioning</c> section stops start-up with a message naming the key.</summary>
public sealed class ProvisioningOptionsTests
{
    [Fact]
    public void Defaults_AreValid_AndEnrolmentOff()
    {
        var options = new ProvisioningOptions();
        Assert.True(new ProvisioningOptionsValidator().Validate(null, options).Succeeded);
        Assert.False(options.Enabled);
    }

    [Fact]
    public void AdminWithoutPassword_NamesTheKey()
    {
        var result = new ProvisioningOptionsValidator().Validate(null, new ProvisioningOptions { AdminUsername = "hts-admin" });
        Assert.True(result.Failed);
        Assert.Contains("Provisioning:AdminPassword", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void PortOutOfRange_NamesTheKey()
    {
        var result = new ProvisioningOptionsValidator().Validate(null, new ProvisioningOptions { ProbeBrokerPort = 0 });
        Assert.True(result.Failed);
        // The generated validator names the property ("ProbeBrokerPort: The field ... must be between 1 and 65535"), as
        // for every options class of the server.
        Assert.Contains("ProbeBrokerPort", result.FailureMessage, StringComparison.Ordinal);
    }
}
