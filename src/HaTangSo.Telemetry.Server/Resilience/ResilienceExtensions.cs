using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Polly;
using Polly.Registry;
using Polly.Retry;
using Polly.Telemetry;

namespace HaTangSo.Telemetry.Server.Resilience;

/// <summary>
/// One named Polly pipeline per <see cref="Dependency"/>, declared here and nowhere else: exponential backoff with
/// jitter on the injected <see cref="TimeProvider"/>, retrying only what <see cref="TransientErrors"/> calls transient,
/// with Polly's metrics (meter <c>Polly</c>, exported with the server's own) and one warning per retry.
/// InfluxDB and PostgreSQL retry as long as it takes (a write that gives up stalls nothing but would lose nothing
/// either: the broker keeps the batch); their delays are <c>Ingestion:RetryInitialDelay</c>..<c>RetryMaxDelay</c>. The
/// broker's are <c>Mqtt:ReconnectInitialDelay</c>..<c>ReconnectMaxDelay</c>. Webhook and SMTP get a time limit per delivery
/// and no in-process retry: the alert outbox is their retry, a durable schedule (<see cref="DeliveryBackoff"/>).
/// </summary>
internal static class ResilienceExtensions
{
    /// <summary>The name of the pipelines' instruments and log category.</summary>
    public const string MeterName = "Polly";

    /// <summary>The longest one webhook or e-mail delivery may take (connect, log in, send).</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(60);

    public static IHostApplicationBuilder AddResilience(this IHostApplicationBuilder builder)
    {
        // Polly logs every attempt and retry itself; the pipelines' own warning (with the operation) replaces those lines.
        builder.Services.Configure<TelemetryOptions>(o => o.SeverityProvider = args =>
            args.Event.EventName is "OnRetry" or "ExecutionAttempt" ? ResilienceEventSeverity.Debug : args.Event.Severity);
        builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(MeterName));

        builder.Services.AddResiliencePipeline<Dependency>(Dependency.InfluxDb, (pipeline, context) =>
            Durable(pipeline, context, Dependency.InfluxDb, IngestionDelays));
        builder.Services.AddResiliencePipeline<Dependency>(Dependency.PostgreSql, (pipeline, context) =>
            Durable(pipeline, context, Dependency.PostgreSql, IngestionDelays));
        builder.Services.AddResiliencePipeline<Dependency>(Dependency.Broker, (pipeline, context) =>
            Durable(pipeline, context, Dependency.Broker, BrokerDelays));
        builder.Services.AddResiliencePipeline<Dependency>(Dependency.Webhook, (pipeline, context) => Delivery(pipeline, context));
        builder.Services.AddResiliencePipeline<Dependency>(Dependency.Smtp, (pipeline, context) => Delivery(pipeline, context));
        return builder;
    }

    /// <summary>Runs <paramref name="operation"/> through <paramref name="dependency"/>'s pipeline, named <paramref name="operationKey"/> in logs and metrics.</summary>
    public static async ValueTask ExecuteAsync(
        this ResiliencePipelineProvider<Dependency> pipelines, Dependency dependency, string operationKey,
        Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operationKey, cancellationToken);
        try
        {
            await pipelines.GetPipeline(dependency).ExecuteAsync(static (ctx, op) => op(ctx.CancellationToken), context, operation);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static (TimeSpan, TimeSpan) IngestionDelays(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<IngestionOptions>>().Value;
        return (options.RetryInitialDelay, options.RetryMaxDelay);
    }

    private static (TimeSpan, TimeSpan) BrokerDelays(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<MqttOptions>>().Value;
        return (options.ReconnectInitialDelay, options.ReconnectMaxDelay);
    }

    private static void Durable(
        ResiliencePipelineBuilder pipeline, Polly.DependencyInjection.AddResiliencePipelineContext<Dependency> context, Dependency dependency,
        Func<IServiceProvider, (TimeSpan Initial, TimeSpan Max)> delays)
    {
        var (initial, max) = delays(context.ServiceProvider);
        pipeline.TimeProvider = context.ServiceProvider.GetRequiredService<TimeProvider>();
        pipeline.AddRetry(Retry(context.ServiceProvider, dependency, int.MaxValue, initial, max));
    }

    private static void Delivery(ResiliencePipelineBuilder pipeline, Polly.DependencyInjection.AddResiliencePipelineContext<Dependency> context)
    {
        pipeline.TimeProvider = context.ServiceProvider.GetRequiredService<TimeProvider>();
        pipeline.AddTimeout(DeliveryTimeout);
    }

    private static RetryStrategyOptions Retry(IServiceProvider services, Dependency dependency, int attempts, TimeSpan initial, TimeSpan max)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ResilienceExtensions).Namespace!);
        var metrics = services.GetService<IngestionMetrics>();
        return new RetryStrategyOptions
        {
            Name = dependency + " retry",
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && TransientErrors.IsTransient(ex, args.Context.CancellationToken)),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = initial,
            MaxDelay = max,
            MaxRetryAttempts = attempts,
            OnRetry = args =>
            {
                var operation = args.Context.OperationKey ?? dependency.ToString();
                if (dependency is Dependency.InfluxDb or Dependency.PostgreSql)
                {
                    metrics?.Retry(operation);
                }

                logger.Retrying(dependency, operation, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? "no answer", args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        };
    }
}
