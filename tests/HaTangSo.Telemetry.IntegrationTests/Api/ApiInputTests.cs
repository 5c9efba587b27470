using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.IntegrationTests.Api;

/// <summary>
/// Issue 18: the operator API cannot plant a poison. Every name that can become a tag, a topic, a file name or a report
/// cell is checked against <see cref="NameRules"/> at the API, and a refusal is a 400 problem document naming the
/// field (its JSON path) and the rule; no malformed body answers 500 — a property test sends generated malformed bodies
/// to every write route of the real server process and finds 4xx problem documents and a healthy server afterwards.
/// </summary>
public sealed class ApiInputTests(ApiTestServer api) : IClassFixture<ApiTestServer>
{
    private static readonly object s_link = new { name = "fixed", access = "fixed", @operator = "VNPT", technology = "ftth", advertisedDownloadMbps = 150.0 };

    [Fact]
    public async Task PostTarget_TechnologyWithBackslash_Is400NamingTheFieldAndRule()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await api.Http.PostAsJsonAsync("/api/targets", Target(technology: "5g\\"), ct);

        await AssertRefusedAsync(response, "technology", NameRules.Describe(NameKind.Technology), ct);
    }

    [Fact]
    public async Task PutProbe_LinkNameWithBackslash_Is400NamingTheLink()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = new { communeCode = "18409", links = new object[] { new { name = "fixed\\", access = "fixed", @operator = "VNPT", technology = "ftth" } } };
        using var response = await api.Http.PutAsJsonAsync("/api/probes/api-bad-link", body, ct);

        await AssertRefusedAsync(response, "links[0].name", NameRules.Describe(NameKind.LinkName), ct);
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync("/api/probes/api-bad-link", ct)).StatusCode);
    }

    [Fact]
    public async Task PutProbe_NullLink_Is400()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await PutJsonAsync("/api/probes/api-null-link", """{"communeCode":"18409","links":[null]}""", ct);

        await AssertRefusedAsync(response, "links[0]", "missing", ct);
    }

    [Theory]
    [InlineData("operator", "VNPT,province=01 download_mbps=999", "links[0].operator")]
    [InlineData("operator", "Viettel\\", "links[0].operator")]
    [InlineData("technology", "4g 5g", "links[0].technology")]
    [InlineData("name", "", "links[0].name")]
    [InlineData("access", "satellite", "links[0].access")]
    public async Task PutProbe_LinkFieldOutsideItsRule_Is400(string field, string value, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        var link = JsonSerializer.SerializeToNode(s_link)!.AsObject();
        link[field] = value;
        var body = new JsonObject { ["communeCode"] = "18409", ["links"] = new JsonArray(link) };
        using var response = await PutJsonAsync("/api/probes/api-bad-field", body.ToJsonString(), ct);

        await AssertRefusedAsync(response, path, string.Empty, ct);
    }

    [Theory]
    [InlineData("""{"communeCode":"18409","description":"line\nbreak","links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth"}]}""", "description")]
    [InlineData("""{"communeCode":"1840\\9","links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth"}]}""", "communeCode")]
    [InlineData("""{"communeCode":"18409","scheduleMinutes":0,"links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth"}]}""", "scheduleMinutes")]
    [InlineData("""{"communeCode":"18409","scheduleMinutes":1000000000000,"links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth"}]}""", "scheduleMinutes")]
    [InlineData("""{"communeCode":"18409","links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth","advertisedDownloadMbps":-5}]}""", "links[0].advertisedDownloadMbps")]
    [InlineData("""{"communeCode":"18409","links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth","advertisedDownloadMbps":1e400}]}""", "links[0].advertisedDownloadMbps")]
    [InlineData("""{"communeCode":"18409","links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth","advertisedDownloadMbps":"fast"}]}""", "links[0].advertisedDownloadMbps")]
    [InlineData("""{"communeCode":"18409","links":[{"name":"a","access":"fixed","operator":"VNPT","technology":"ftth"},{"name":"a","access":"mobile","operator":"VNPT","technology":"4g"}]}""", "links[1].name")]
    [InlineData("""{"communeCode":"18409","links":[{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth","speed":1}]}""", "links[0].speed")]
    [InlineData("""{"communeCode":"18409","links":[]}""", "links")]
    [InlineData("""{"communeCode":"18409","links":{"name":"fixed"}}""", "links")]
    public async Task PutProbe_MalformedBody_Is400NamingTheField(string json, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await PutJsonAsync("/api/probes/api-malformed", json, ct);

        await AssertRefusedAsync(response, path, string.Empty, ct);
    }

    [Fact]
    public async Task PutProbe_UnknownCommune_Is400()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await api.Http.PutAsJsonAsync("/api/probes/api-nowhere", new { communeCode = "99999", links = new[] { s_link } }, ct);

        await AssertRefusedAsync(response, "communeCode", string.Empty, ct);
    }

    [Fact]
    public async Task PutProbe_OperatorAndTechnology_AreStoredInTheirCanonicalSpelling()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = new { communeCode = "18409", links = new[] { new { name = "modem", access = "mobile", @operator = "vinaphone", technology = "5G" } } };
        using var response = await api.Http.PutAsJsonAsync("/api/probes/api-canonical", body, ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var probe = await api.Http.GetFromJsonAsync<JsonElement>("/api/probes/api-canonical", ct);
        var link = probe.GetProperty("links")[0];
        Assert.Equal("VNPT", link.GetProperty("operator").GetString());
        Assert.Equal("5g", link.GetProperty("technology").GetString());
    }

    [Theory]
    [InlineData("source", "=HYPERLINK(\"http://x\",\"ok\")\\", "source")]
    [InlineData("source", "", "source")]
    [InlineData("provinceCode", "4\\2", "provinceCode")]
    [InlineData("districtCode", "445 ", "districtCode")]
    [InlineData("statistic", "p150", "statistic")]
    [InlineData("validFrom", "2026-13-01", "validFrom")]
    [InlineData("threshold", "lots", "threshold")]
    public async Task PostTarget_FieldOutsideItsRule_Is400(string field, string value, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        var target = JsonSerializer.SerializeToNode(Target())!.AsObject();
        target[field] = value;
        using var response = await PostJsonAsync("/api/targets", target.ToJsonString(), ct);

        await AssertRefusedAsync(response, path, string.Empty, ct);
    }

    [Fact]
    public async Task PostTarget_MissingThreshold_Is400RatherThanZero()
    {
        var ct = TestContext.Current.CancellationToken;
        var target = JsonSerializer.SerializeToNode(Target())!.AsObject();
        target.Remove("threshold");
        using var response = await PostJsonAsync("/api/targets", target.ToJsonString(), ct);

        var problem = await AssertRefusedAsync(response, "body", string.Empty, ct);
        Assert.Contains("threshold", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostTarget_FormulaLikeSource_IsAcceptedAsText()
    {
        // Free text may start with '=': it is neutralised where it becomes a spreadsheet cell (ReportCsv), not refused here.
        var ct = TestContext.Current.CancellationToken;
        using var response = await api.Http.PostAsJsonAsync("/api/targets", Target(source: "=HYPERLINK(\"http://x\",\"ok\")", province: "12"), ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task ImportTargets_NullOrBadEntry_Is400NamingTheEntry()
    {
        var ct = TestContext.Current.CancellationToken;
        var good = JsonSerializer.Serialize(Target());
        using var withNull = await PostJsonAsync("/api/targets/import", $"[{good},null]", ct);
        await AssertRefusedAsync(withNull, "[1]", "missing", ct);

        var bad = JsonSerializer.Serialize(Target(technology: "5g\\"));
        using var withBad = await PostJsonAsync("/api/targets/import", $"[{good},{good},{bad}]", ct);
        await AssertRefusedAsync(withBad, "[2].technology", NameRules.Describe(NameKind.Technology), ct);
    }

    [Fact]
    public async Task ImportTargets_TwoMegabyteBody_Is413()
    {
        var ct = TestContext.Current.CancellationToken;
        var one = JsonSerializer.Serialize(Target());
        var huge = "[" + string.Join(",", Enumerable.Repeat(one, (2 << 20) / one.Length)) + "]";
        using var response = await PostJsonAsync("/api/targets/import", huge, ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PostTarget_NotJson_Is415Or400WithAProblemDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        using var text = await api.Http.PostAsync("/api/targets", new StringContent("threshold=100", Encoding.UTF8, "text/plain"), ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal("application/problem+json", text.Content.Headers.ContentType?.MediaType);

        using var garbage = await PostJsonAsync("/api/targets", "{\"provinceCode\":", ct);
        await AssertRefusedAsync(garbage, "provinceCode", string.Empty, ct); // the serializer names where the text ended
    }

    [Theory]
    [InlineData("/api/probes/Bad%5CId", "id")]
    [InlineData("/api/quarantine?probeId=..%2Fetc", "probeId")]
    [InlineData("/api/compliance/4%5C2", "province")]
    [InlineData("/api/compliance/42/445%2C1", "district")]
    [InlineData("/api/compliance/42?window=weekly", "window")]
    [InlineData("/api/targets?province=42%0A", "province")]
    [InlineData("/api/reports?province=%3D1%2B1", "province")]
    [InlineData("/api/reports/..%2F..%2Fetc/2026-01.csv", "province")]
    [InlineData("/api/reports/42/2026-13.csv", "month")]
    [InlineData("/api/compliance/qcvn34?probe=A%20B", "probe")]
    public async Task Get_ParameterOutsideItsRule_Is400(string path, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await api.Http.GetAsync(path, ct);

        await AssertRefusedAsync(response, field, string.Empty, ct);
    }

    [Fact]
    public async Task Get_UnknownProbe_Is404ProblemAndAnonymousIs401()
    {
        var ct = TestContext.Current.CancellationToken;
        using var missing = await api.Http.GetAsync("/api/probes/no-such-probe", ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);

        using var anonymous = new HttpClient { BaseAddress = api.Http.BaseAddress };
        using var refused = await anonymous.PutAsync("/api/probes/anon-probe", new StringContent("{}", Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Get_QueryNumberOutOfRange_Is400()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await api.Http.GetAsync("/api/quarantine?limit=99999999999999", ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task EveryWriteRoute_GeneratedMalformedBodies_Answer4xxProblemsAndTheServerStaysHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var routes = await ApiRoutes.WriteRoutesAsync();
        Assert.Contains(routes, r => r.Pattern == "/api/probes/{id}" && r.Method == "PUT");
        Assert.Contains(routes, r => r.Pattern == "/api/targets/import");
        var withBody = routes.Where(r => r.BodyType is not null).ToArray();
        var checkedRoutes = new HashSet<string>(StringComparer.Ordinal);

        var cases = Gen.Elements(withBody).SelectMany(route => MalformedBodies.For(route).Select(body => (Route: route, Body: body)));
        var property = Prop.ForAll(Arb.From(cases), c =>
        {
            using var response = Send(c.Route, c.Body);
            var status = (int)response.StatusCode;
            var text = response.Content.ReadAsStringAsync(ct).GetAwaiter().GetResult();
            checkedRoutes.Add(c.Route.ToString());
            return status is >= 400 and < 500
                && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                && JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32() == status;
        });

        // FsCheck runs synchronously; off the test's synchronization context so the blocking HTTP calls cannot deadlock.
        await Task.Run(() => property.Check(Config.QuickThrowOnFailure.WithMaxTest(80 * withBody.Length).WithQuietOnSuccess(true)), ct);
        Assert.Equal(withBody.Select(r => r.ToString()).ToHashSet(), checkedRoutes);

        // Routes that read no body ignore one; whatever they are sent, they must not fail with a 500.
        foreach (var route in routes.Where(r => r.BodyType is null))
        {
            foreach (var body in MalformedBodies.For(route).Sample(10, 5))
            {
                using var response = Send(route, body);
                Assert.True((int)response.StatusCode != 500, $"{route} answered 500 to {body}");
            }
        }

        await api.AssertHealthyAsync(ct);
        Assert.DoesNotContain("An unhandled exception has occurred", api.Server.Output, StringComparison.Ordinal);

        HttpResponseMessage Send(WriteRoute route, MalformedBody body)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path) { Content = new ByteArrayContent(body.Bytes) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(body.ContentType);
            return api.Http.Send(request, ct);
        }
    }

    private static object Target(string technology = "5g", string source = "test plan", string province = "42") => new
    {
        provinceCode = province, districtCode = (string?)null, access = "mobile", technology, metric = "download", statistic = "median",
        threshold = 100.0, validFrom = "2026-01-01", validTo = (string?)null, source,
    };

    private Task<HttpResponseMessage> PutJsonAsync(string path, string json, CancellationToken ct) =>
        api.Http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), ct);

    private Task<HttpResponseMessage> PostJsonAsync(string path, string json, CancellationToken ct) =>
        api.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), ct);

    // A 400 problem document whose errors name the field (its JSON path or parameter) and, when given, the rule.
    private static async Task<string> AssertRefusedAsync(HttpResponseMessage response, string field, string rule, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        var messages = default(JsonElement);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out messages),
            $"the problem does not name '{field}': {text}");
        Assert.Contains(messages.EnumerateArray(), m => m.GetString()!.Contains(rule, StringComparison.Ordinal));
        return text;
    }
}
