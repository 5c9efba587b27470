using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>
/// The HTTP API: API-key authentication with viewer and operator roles. Every route needs at least the viewer role
/// unless it says otherwise: the fallback policy covers any route added later without a policy of its own, and the
/// only anonymous routes are <c>/health</c> (status only), <c>/health/live</c> and <c>/metrics</c> (Prometheus).
/// </summary>
internal static class ApiExtensions
{
    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<ApiOptions>().BindConfiguration(ApiOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiRoles.Viewer, p => p.RequireRole(ApiRoles.Viewer, ApiRoles.Operator))
            .AddPolicy(ApiRoles.Operator, p => p.RequireRole(ApiRoles.Operator))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
                .RequireRole(ApiRoles.Viewer, ApiRoles.Operator).Build());
        // Hangfire's dashboard validates an antiforgery token on every POST once the service exists.
        builder.Services.AddAntiforgery();
        builder.Services.AddOptionsWithValidateOnStart<OpenData.OpenDataOptions>().BindConfiguration(OpenData.OpenDataOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<OpenData.OpenDataOptions>, OpenData.OpenDataOptionsValidator>();
        builder.Services.AddSingleton<OpenData.OpenDataExport>();
        builder.Services.AddOptionsWithValidateOnStart<PlaceholderSecrets>();
        builder.Services.AddSingleton<IValidateOptions<PlaceholderSecrets>, PlaceholderSecretsValidator>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "HaTangSo.Telemetry API";
            document.Info.Description = "Probes, targets, compliance, alerts and reports. Send an API key in X-Api-Key (viewer reads, operator changes).";
            return Task.CompletedTask;
        }));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);

        // A request that cannot be bound throws (instead of an empty 400), so BadRequestExceptionHandler can answer
        // with a problem document naming the field; the rest of the 4xx without a body get one from status pages.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<DependencyExceptionHandler>();
        return builder;
    }

    public static WebApplication MapApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), api => api.UseStatusCodePages());
        app.UseAuthentication();
        app.UseAuthorization();

        // Every route of the API gets the same body size limit and the same validation step (RequestValidation).
        var api = app.MapGroup(string.Empty).WithMetadata(new ApiBodyLimit()).ValidateRequests();
        api.MapProbesApi();
        api.MapFleetConfigApi();
        api.MapCommandsApi();
        api.MapRolloutsApi();
        api.MapQuarantineApi();
        api.MapServersApi();
        api.MapTargetsApi();
        api.MapAreasApi();
        api.MapComplianceApi();
        api.MapAlertsApi();
        api.MapReportsApi();
        api.MapOverviewPage();
        api.MapYearlyReportPage();
        OpenData.OpenDataApi.MapOpenDataApi(api, app.Services.GetRequiredService<IOptions<OpenData.OpenDataOptions>>().Value);
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }
}

/// <summary>
/// The largest request body the API reads (1 MiB: a targets file of thousands of entries fits); a larger one is
/// refused with 413 before it is buffered.
/// </summary>
internal sealed class ApiBodyLimit : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
{
    /// <summary>1 MiB.</summary>
    public const long Bytes = 1 << 20;

    public long? MaxRequestBodySize => Bytes;
}
