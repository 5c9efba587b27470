namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>Running the fleet from the centre (issue 15): measurement configuration and commands.</summary>
internal static class FleetExtensions
{
    public static IHostApplicationBuilder AddFleet(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServerMqttClient>();
        builder.Services.AddSingleton<FleetConfigStore>();
        builder.Services.AddSingleton<ConfigPublisher>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ConfigPublisher>());
        return builder;
    }
}
