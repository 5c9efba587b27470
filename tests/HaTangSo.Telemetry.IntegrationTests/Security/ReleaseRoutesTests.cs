using HaTangSo.Telemetry.Server;
using HaTangSo.Telemetry.Server.Diagnostics;
using HaTangSo.Telemetry.Server.Releases;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// The server's composition (built, not started) with and without <c>Releases:Directory</c>: the release route is the
/// only anonymous route it adds, and only when releases are offered; a bad directory is a configuration error naming
/// the key, not an exception from the mapping.
/// </summary>
public sealed class ReleaseRoutesTests
{
    [Fact]
    public async Task MapServer_ReleasesOffered_OnlyTheReleaseRouteAddedToTheAnonymousOnes()
    {
        var directory = Directory.CreateTempSubdirectory("hts-releases-");
        try
        {
            Assert.Equal(["/health", "/health/live", "/metrics"], await AnonymousRoutesAsync(null));
            Assert.Equal(["/health", "/health/live", "/metrics", "/probe-releases/{architecture}/{version}/{file}"], await AnonymousRoutesAsync(directory.FullName));
        }
        finally
        {
            directory.Delete();
        }
    }

    [Fact]
    public async Task MapServer_RelativeReleasesDirectory_ConfigurationErrorNamingTheKey()
    {
        await using var app = Build("releases");

        var ex = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<ReleaseOptions>>().Value);

        Assert.Contains("Releases:Directory", ConfigurationErrors.Describe(ex), StringComparison.Ordinal);
    }

    private static async Task<List<string?>> AnonymousRoutesAsync(string? releases)
    {
        await using var app = Build(releases);
        return [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.RoutePattern.RawText).Order(StringComparer.Ordinal)];
    }

    private static WebApplication Build(string? releases)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=unused;Username=unused",
            ["Influx:Url"] = "http://127.0.0.1:1/",
            ["Influx:Database"] = "unused",
            ["Jobs:Enabled"] = "false",
            ["Releases:Directory"] = releases,
        });
        builder.AddServer();
        var app = builder.Build();
        app.MapServer();
        return app;
    }
}
