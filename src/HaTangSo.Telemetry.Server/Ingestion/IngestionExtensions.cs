using HaTangSo.Telemetry.Server.Quarantine;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>The MQTT → InfluxDB ingestion pipeline, its quarantine and its housekeeping.</summary>
internal static class IngestionExtensions
{
    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<MqttOptions>().BindConfiguration(MqttOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>();
        builder.Services.AddOptionsWithValidateOnStart<IngestionOptions>().BindConfiguration(IngestionOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<IngestionOptions>, IngestionOptionsValidator>();
        builder.Services.AddOptionsWithValidateOnStart<QuarantineOptions>().BindConfiguration(QuarantineOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<QuarantineOptions>, QuarantineOptionsValidator>();

        // Deliberately the default (StopHost): every BackgroundService here catches what one message, row or outage can
        // throw and carries on, so only a defect in the host itself could end it — and then a restart by systemd or
        // Kubernetes, with /health red meanwhile, is better than a process that serves HTTP with ingestion dead.
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost);

        builder.Services.AddSingleton<IngestionQueue>();
        builder.Services.AddSingleton<MqttConnectionState>();
        builder.Services.AddSingleton<LiveLane>();
        builder.Services.AddSingleton<ResultValidator>();
        builder.Services.AddSingleton<ResultChecks>();
        builder.Services.AddSingleton<ProbeRateLimiter>();
        builder.Services.AddSingleton<ArrivalRateLimiter>();
        builder.Services.AddSingleton<MessageChecks>();
        builder.Services.AddSingleton<ResultIdStore>();
        builder.Services.AddSingleton<QuarantineLog>();
        builder.Services.AddSingleton<DurableRetry>();
        builder.Services.AddSingleton<ProbeStatusHandler>();
        builder.Services.AddSingleton<IngestionPipeline>();
        builder.Services.AddSingleton<HousekeepingJob>();
        builder.Services.AddHostedService<BatchWriterService>();
        builder.Services.AddHostedService<MqttIngestionService>();
        builder.Services.AddHostedService<LiveLaneService>();
        return builder;
    }
}
