using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// <c>Mqtt:LiveLane</c> is validated with the rest of <c>Mqtt</c>; a bad value names its key as it is configured (the source
/// generator names nested members by their type path, <c>MqttOptions.LiveLane.OpenAfter</c>, which
/// <see cref="ConfigurationErrors"/> turns into <c>Mqtt:LiveLane:OpenAfter</c>).
/// </summary>
public sealed class LiveLaneOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var options = new MqttOptions();
        Assert.True(new MqttOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(options.LiveLane.Enabled);
        Assert.Equal("hts-server-1-live", options.LiveClientId);
    }

    [Theory]
    [InlineData(nameof(LiveLaneOptions.OpenAfter), "Mqtt:LiveLane:OpenAfter")]
    [InlineData(nameof(LiveLaneOptions.CloseAfter), "Mqtt:LiveLane:CloseAfter")]
    [InlineData(nameof(LiveLaneOptions.RememberFor), "Mqtt:LiveLane:RememberFor")]
    [InlineData(nameof(LiveLaneOptions.MaxRemembered), "Mqtt:LiveLane:MaxRemembered")]
    public void Validate_OutOfRange_NamesTheKey(string property, string key)
    {
        var live = new LiveLaneOptions();
        if (property == nameof(LiveLaneOptions.MaxRemembered))
        {
            live.MaxRemembered = 0;
        }
        else
        {
            typeof(LiveLaneOptions).GetProperty(property)!.SetValue(live, TimeSpan.Zero);
        }

        var result = new MqttOptionsValidator().Validate(null, new MqttOptions { LiveLane = live });
        Assert.True(result.Failed);
        var described = ConfigurationErrors.Describe(new OptionsValidationException(MqttOptions.SectionName, typeof(MqttOptions), result.Failures));
        // One line for the one bad key, starting with it.
        Assert.True(described.Contains("\n  " + key + ": ", StringComparison.Ordinal), described + "\n(validator: " + result.FailureMessage + ")");
    }
}
