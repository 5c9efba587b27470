using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using HaTangSo.Telemetry.Server.Alerts;
using HaTangSo.Telemetry.Server.Api;
using HaTangSo.Telemetry.Server.Compliance;
using HaTangSo.Telemetry.Server.Reports;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Jobs;

/// <summary>Targets, compliance, alerts, reports and the Hangfire server that schedules them.</summary>
internal static class JobsExtensions
{
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptionsWithValidateOnStart<ComplianceOptions>().BindConfiguration(ComplianceOptions.SectionName);
        services.AddSingleton<IValidateOptions<ComplianceOptions>, ComplianceOptionsValidator>();
        services.AddOptionsWithValidateOnStart<AlertOptions>().BindConfiguration(AlertOptions.SectionName);
        services.AddSingleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>();
        services.AddOptionsWithValidateOnStart<JobOptions>().BindConfiguration(JobOptions.SectionName);
        services.AddSingleton<IValidateOptions<JobOptions>, JobOptionsValidator>();

        services.AddSingleton<ResultSamples>();
        services.AddSingleton<LinkSummaries>();
        services.AddSingleton<JobItemFailures>();
        services.AddSingleton<YearlyReportJob>();
        services.AddSingleton<TargetStore>();
        services.AddSingleton<ComplianceEvaluator>();
        services.AddSingleton<ComplianceStore>();
        services.AddSingleton<Qcvn34Evaluator>();
        services.AddSingleton<ComplianceJob>();
        services.AddSingleton<Areas.AreaMembershipPoints>();
        services.AddSingleton<RollupJob>();
        services.AddSingleton<AlertStore>();
        services.AddSingleton<Alerts.Confirmation.ConfirmationStore>();
        services.AddSingleton<Alerts.Confirmation.ConfirmationResults>();
        services.AddSingleton<Alerts.Confirmation.ConfirmationRound>();
        // The command channel (measure now, issue 15.2) replaces this when present; without it the round waits for the
        // probes' scheduled runs against the confirmation server.
        services.TryAddSingleton<Alerts.Confirmation.IConfirmationRequests, Alerts.Confirmation.ScheduledRunsOnly>();
        services.AddSingleton<LivenessStore>();
        services.AddSingleton<LivenessJob>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<ReportStore>();
        services.AddSingleton<MonthlyReportJob>();
        services.AddTransient<ScheduledJobs>();
        services.AddHttpClient(NotificationDispatcher.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHostedService<ComplianceStartup>();

        var jobs = builder.Configuration.GetSection(JobOptions.SectionName).Get<JobOptions>() ?? new JobOptions();
        if (jobs.Enabled)
        {
            var connectionString = builder.Configuration.GetConnectionString("Postgres");
            services.AddHangfire(c => c
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString), new PostgreSqlStorageOptions
                {
                    SchemaName = jobs.Schema,
                    // Installed by ComplianceStartup once PostgreSQL answers, so a bad configuration fails at once
                    // instead of after Hangfire's connection retries.
                    PrepareSchemaIfNecessary = false,
                }));
            services.AddHangfireServer(o => o.WorkerCount = jobs.Workers);
        }

        return builder;
    }

    /// <summary>
    /// The Hangfire dashboard at <c>/hangfire</c>, for operators only (API key, or HTTP Basic with the key as password).
    /// A browser (Basic) sees it read-only: Basic is accepted for GET only, and every POST also needs Hangfire's
    /// antiforgery token.
    /// </summary>
    public static WebApplication MapJobs(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<JobOptions>>().Value.Enabled)
        {
            app.MapHangfireDashboard("/hangfire", new DashboardOptions
            {
                Authorization = [],
                DisplayStorageConnectionString = false,
                DashboardTitle = "HaTangSo.Telemetry jobs",
                IsReadOnlyFunc = context => context.GetHttpContext().User.HasClaim(ApiKeyAuthenticationHandler.MethodClaim, ApiKeyAuthenticationHandler.ViaBasic),
            }).RequireAuthorization(ApiRoles.Operator);
        }

        return app;
    }
}
