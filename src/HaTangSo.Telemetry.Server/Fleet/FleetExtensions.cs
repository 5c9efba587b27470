namespace HaTangSo.Telemetry.Server.Fleet;

/// <summary>Running the fleet from the centre (issue 15): measurement configuration and commands.</summary>
internal static class FleetExtensions
{
    public static IHostApplicationBuilder AddFleet(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<FleetOptions>().BindConfiguration(FleetOptions.SectionName);
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<FleetOptions>, FleetOptionsValidator>();
        builder.Services.AddSingleton<ServerMqttClient>();
        builder.Services.AddSingleton<CommandStore>();
        builder.Services.AddSingleton<AckService>();
        builder.Services.AddHostedService(s => s.GetRequiredService<AckService>());
        builder.Services.AddSingleton<FleetConfigStore>();
        builder.Services.AddSingleton<ConfigPublisher>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ConfigPublisher>());
        // Staged roll-outs of signed releases (issue 15.5) issue their upgrade commands through the same channel.
        builder.Services.AddSingleton<Rollouts.RolloutStore>();
        builder.Services.AddSingleton<Rollouts.RolloutProbeStore>();
        builder.Services.AddSingleton<Rollouts.RolloutRunner>();
        builder.Services.AddHostedService(s => s.GetRequiredService<Rollouts.RolloutRunner>());
        // A confirmation round (issue 15.3) asks the area's probes through measure-now commands.
        builder.Services.AddSingleton<Alerts.Confirmation.IConfirmationRequests, CommandConfirmationRequests>();
        return builder;
    }
}
