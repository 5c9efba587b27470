using System.Collections;
using HaTangSo.Telemetry.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Configuration;

namespace HaTangSo.Telemetry.IntegrationTests.Api;

/// <summary>A state-changing route of the server, with its route values filled in and the body type it reads (if any).</summary>
public sealed record WriteRoute(string Method, string Pattern, string Path, Type? BodyType)
{
    /// <summary>True when the body is a JSON array (the import), false for an object.</summary>
    public bool BodyIsList => BodyType is not null && BodyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(BodyType);

    public override string ToString() => $"{Method} {Pattern}";
}

/// <summary>
/// Every write route the server maps, read from its own <see cref="EndpointDataSource"/> (the composition is built, not
/// started), so a route added later is fuzzed without anyone listing it here. Route values are filled with
/// well-formed values that name nothing stored, so a body-less route cannot change anything.
/// </summary>
public static class ApiRoutes
{
    private static readonly string[] s_writeMethods = ["POST", "PUT", "PATCH", "DELETE"];

    public static async Task<IReadOnlyList<WriteRoute>> WriteRoutesAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=unused;Username=unused",
            ["Influx:Url"] = "http://127.0.0.1:1/",
            ["Influx:Database"] = "unused",
            ["Jobs:Enabled"] = "false",
        });
        builder.AddServer();
        await using var app = builder.Build();
        app.MapServer();
        var routes = new List<WriteRoute>();
        foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            var body = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            foreach (var method in methods.Intersect(s_writeMethods, StringComparer.OrdinalIgnoreCase))
            {
                routes.Add(new WriteRoute(method, endpoint.RoutePattern.RawText ?? "?", Fill(endpoint.RoutePattern), body));
            }
        }

        return routes;
    }

    private static string Fill(RoutePattern pattern)
    {
        var path = new System.Text.StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart parameter => Value(parameter, pattern),
                    _ => string.Empty,
                });
            }
        }

        return path.ToString();
    }

    private static string Value(RoutePatternParameterPart parameter, RoutePattern pattern)
    {
        var numeric = pattern.ParameterPolicies.TryGetValue(parameter.Name, out var policies)
            && policies.Any(p => p.Content is "int" or "long");
        return numeric ? "987654" : parameter.Name switch
        {
            "province" => "99",
            "district" => "999",
            "month" => "2030-01",
            "kind" => "csv",
            _ => "fuzz-" + parameter.Name.ToLowerInvariant(),
        };
    }
}
