using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>The MQTT → InfluxDB ingestion pipeline.</summary>
internal static class IngestionExtensions
{
    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<MqttOptions>().BindConfiguration(MqttOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>();
        builder.Services.AddOptionsWithValidateOnStart<IngestionOptions>().BindConfiguration(IngestionOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<IngestionOptions>, IngestionOptionsValidator>();
        builder.Services.AddSingleton<IngestionQueue>();
        builder.Services.AddSingleton<MqttConnectionState>();
        builder.Services.AddSingleton<ResultValidator>();
        builder.Services.AddSingleton<ProbeRateLimiter>();
        builder.Services.AddSingleton<DurableRetry>();
        builder.Services.AddSingleton<ProbeStatusHandler>();
        builder.Services.AddSingleton<IngestionPipeline>();
        builder.Services.AddHostedService<BatchWriterService>();
        builder.Services.AddHostedService<MqttIngestionService>();
        return builder;
    }
}
