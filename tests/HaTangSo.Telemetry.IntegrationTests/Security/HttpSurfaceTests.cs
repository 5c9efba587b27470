using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using HaTangSo.Telemetry.IntegrationTests.Compliance;
using HaTangSo.Telemetry.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace HaTangSo.Telemetry.IntegrationTests.Security;

/// <summary>
/// The server's HTTP surface: HTTP Basic only for reading the browser pages, a key in <c>X-Api-Key</c> for every
/// change, a fallback policy over every route, <c>/health</c> details for keys only, placeholder secrets refused at
/// start-up, and HTTPS from a certificate file.
/// </summary>
public sealed class HttpSurfaceTests(PostgresFixture postgres, InfluxDbFixture influx)
{
    private static AuthenticationHeaderValue Basic(string key) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("browser:" + key)));

    [Fact]
    public async Task Routes_BasicOnlyForReadingPages_KeysForChanges_FallbackEverywhere()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var context = await ComplianceTestContext.CreateAsync(postgres, influx, DateTimeOffset.UtcNow, ct);
        var server = await context.StartInstanceAsync(ct);
        using var browser = new HttpClient { BaseAddress = server.Http.BaseAddress };
        browser.DefaultRequestHeaders.Authorization = Basic(ServerInstance.OperatorKey);

        // Basic (what a browser caches and re-sends for any page that asks it to) reads the overview page only.
        using (var page = await browser.GetAsync("/overview/42", ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        var body = new { communeCode = "18409", links = new object[] { new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth" } } };
        foreach (var request in new Func<HttpClient, Task<HttpResponseMessage>>[]
        {
            c => c.GetAsync("/api/probes", ct),
            c => c.PutAsJsonAsync("/api/probes/csrf-probe", body, ct),
            c => c.PostAsync("/api/alerts/1/acknowledge", null, ct),
            c => c.PostAsync("/api/targets/import", JsonContent.Create(Array.Empty<object>()), ct),
            c => c.PostAsync("/overview/42", null, ct),
        })
        {
            using var refused = await request(browser);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var unchanged = await server.Http.GetAsync("/api/probes/csrf-probe", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unchanged.StatusCode);
        }

        // The same change with the key in X-Api-Key goes through.
        using (var put = await server.Http.PutAsJsonAsync("/api/probes/csrf-probe", body, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }

        // Anonymous: /health says the status only, /health/live and /metrics answer, everything else needs a key
        // (the OpenAPI document has no policy of its own: the fallback covers it).
        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
        var health = await anonymous.GetStringAsync("/health", ct);
        Assert.Contains("\"status\":\"Healthy\"", health, StringComparison.Ordinal);
        Assert.DoesNotContain("mqtt", health, StringComparison.Ordinal);
        Assert.Contains("\"mqtt\"", await server.Http.GetStringAsync("/health", ct), StringComparison.Ordinal);
        foreach (var open in new[] { "/health/live", "/metrics" })
        {
            using var answer = await anonymous.GetAsync(open, ct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        // The runtime's own meter is exported beside the server's: the GC, the JIT and the thread pool an operator watches
        // a drain with.
        var scrape = await anonymous.GetStringAsync("/metrics", ct);
        foreach (var runtime in new[] { "dotnet_gc_heap_total_allocated_bytes_total", "dotnet_jit_compilation_time_seconds_total", "dotnet_thread_pool_queue_length_total" })
        {
            Assert.Contains(runtime + " ", scrape, StringComparison.Ordinal);
        }

        using (var openApi = await anonymous.GetAsync("/openapi/v1.json", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, openApi.StatusCode);
        }

        // Every route either names its policy or falls under the fallback; exactly three allow anonymous callers.
        var fallback = await server.Get<IAuthorizationPolicyProvider>().GetFallbackPolicyAsync();
        Assert.NotNull(fallback);
        var endpoints = server.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var anonymousRoutes = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.RoutePattern.RawText).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["/health", "/health/live", "/metrics"], anonymousRoutes);
        var changing = endpoints.Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Any(m => m is not ("GET" or "HEAD")) == true).ToList();
        Assert.NotEmpty(changing);
        Assert.All(changing, e => Assert.NotNull(e.Metadata.GetMetadata<IAuthorizeData>()));
    }

    [Theory]
    [InlineData("Mqtt__Password", "change-me", "Mqtt:Password")]
    [InlineData("ConnectionStrings__Postgres", "Host=127.0.0.1;Port=1;Username=hatangso;Password=change-me", "ConnectionStrings:Postgres")]
    [InlineData("Provisioning__AdminPassword", "...", "Provisioning:AdminPassword")]
    [InlineData("Influx__Token", "Change-Me", "Influx:Token")]
    [InlineData("Api__Keys__0__Sha256", "sha256:change-me", "Api:Keys:0:Sha256")]
    public async Task Start_PlaceholderSecret_ExitsNamingTheKey(string variable, string value, string key)
    {
        if (value == "sha256:change-me")
        {
            value = Convert.ToHexString(SHA256.HashData("change-me"u8));
        }

        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = "Host=127.0.0.1;Port=1;Username=postgres;Database=none",
            ["Influx__Url"] = "http://127.0.0.1:1",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Api__Keys__0__Name"] = "operator",
            [variable] = value,
        };
        await using var process = TestProcess.Start("hts-server", "dotnet", [ServerProcess.ServerDll()], environment);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => process.WaitForExitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));

        Assert.Contains(key + ": still holds the placeholder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_CertificateFromFile_ServesTheApiOverTls()
    {
        var ct = TestContext.Current.CancellationToken;
        using var ca = new TestCertificateAuthority("HaTangSo HTTPS test CA");
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken: ct);
        var port = FreePort.Next();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await postgres.NewDatabaseAsync(ct),
            ["Influx__Url"] = influx.Server.BaseAddress.ToString(),
            ["Influx__Database"] = influx.NewDatabaseName(),
            ["Mqtt__Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Jobs__Enabled"] = "false",
            ["ASPNETCORE_URLS"] = $"https://127.0.0.1:{port}",
            ["Kestrel__Certificates__Default__Path"] = ca.BrokerCertificateFile,
            ["Kestrel__Certificates__Default__KeyPath"] = ca.BrokerKeyFile,
            ["Api__Keys__0__Name"] = "tests",
            ["Api__Keys__0__Role"] = "viewer",
            ["Api__Keys__0__Sha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ServerSettings.OperatorKey))),
        };
        await using var process = TestProcess.Start("hts-server", "dotnet", [ServerProcess.ServerDll()], environment, Path.GetDirectoryName(ServerProcess.ServerDll()));

        // A client that trusts only the test CA and checks the name, as a browser or curl --cacert would.
        using var trustedRoot = X509Certificate2.CreateFromPem(File.ReadAllText(ca.CaFile));
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trustedRoot);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
        using var https = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}") };
        await process.WaitUntilAsync(
            async token =>
            {
                try
                {
                    using var live = await https.GetAsync("/health/live", token);
                    return live.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60), "/health/live over HTTPS", ct);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/probes");
        request.Headers.Add("X-Api-Key", ServerSettings.OperatorKey);
        using var probes = await https.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.OK, probes.StatusCode);

        // Plain HTTP to the HTTPS port gets no API.
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        HttpStatusCode? plainStatus = null;
        try
        {
            using var answer = await plain.GetAsync("/api/probes", ct);
            plainStatus = answer.StatusCode;
        }
        catch (HttpRequestException)
        {
        }

        Assert.NotEqual(HttpStatusCode.OK, plainStatus);
    }
}
