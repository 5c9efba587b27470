using HaTangSo.Telemetry.Server.Ingestion;

namespace HaTangSo.Telemetry.Server.Tests;

/// <summary>
/// <c>Mqtt:LiveLane</c> is validated with the rest of <c>Mqtt</c>; a bad value names its key (the source generator words
/// nested members as <c>MqttOptions.LiveLane.OpenAfter</c>, not with the attribute's message).
/// </summary>
public sealed class LiveLaneOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var options = new MqttOptions();
        Assert.True(new MqttOptionsValidator().Validate(null, options).Succeeded);
        Assert.False(options.LiveLane.Enabled);
        Assert.Equal("hts-server-1-live", options.LiveClientId);
    }

    [Theory]
    [InlineData(nameof(LiveLaneOptions.OpenAfter), "MqttOptions.LiveLane.OpenAfter")]
    [InlineData(nameof(LiveLaneOptions.CloseAfter), "MqttOptions.LiveLane.CloseAfter")]
    [InlineData(nameof(LiveLaneOptions.RememberFor), "MqttOptions.LiveLane.RememberFor")]
    [InlineData(nameof(LiveLaneOptions.MaxRemembered), "MqttOptions.LiveLane.MaxRemembered")]
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
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }
}
