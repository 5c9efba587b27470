using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>The HTTP API: API-key authentication with viewer and operator roles.</summary>
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
            .AddPolicy(ApiRoles.Operator, p => p.RequireRole(ApiRoles.Operator));
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "HaTangSo.Telemetry API";
            document.Info.Description = "Probes, targets, compliance, alerts and reports. Send an API key in X-Api-Key (viewer reads, operator changes).";
            return Task.CompletedTask;
        }));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        return builder;
    }

    public static WebApplication MapApi(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapProbesApi();
        app.MapQuarantineApi();
        app.MapServersApi();
        app.MapTargetsApi();
        app.MapComplianceApi();
        app.MapAlertsApi();
        app.MapReportsApi();
        app.MapOverviewPage();
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }
}
