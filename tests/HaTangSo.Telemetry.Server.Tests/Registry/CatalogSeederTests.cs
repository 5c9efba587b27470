using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Testing;

namespace HaTangSo.Telemetry.Server.Tests.Registry;

/// <summary>The region catalogue is an input like any other: its codes and names follow NameRules before they are seeded.</summary>
public sealed class CatalogSeederTests
{
    [Fact]
    public async Task LoadAsync_EmbeddedCatalogue_IsClean()
    {
        var catalog = await CatalogSeeder.LoadAsync(null, TestContext.Current.CancellationToken);

        Assert.Empty(CatalogSeeder.Validate(catalog));
        Assert.Equal(3, catalog.Provinces.Count);
    }

    [Theory]
    [InlineData("\"name\": \"Xã Hồng Lộc\"", "\"name\": \"=HYPERLINK(\\\"http://x\\\")\"", "provinces[0].districts[0].communes[0].name")]
    [InlineData("\"name\": \"Xã Hồng Lộc\"", "\"name\": \"Xã\\\\ Hồng Lộc\"", "provinces[0].districts[0].communes[0].name")]
    [InlineData("\"code\": \"18409\"", "\"code\": \"18409,x=1\"", "provinces[0].districts[0].communes[0].code")]
    [InlineData("\"code\": \"445\"", "\"code\": \"\"", "provinces[0].districts[0].code")]
    [InlineData("\"name\": \"Huyện Thạch Hà\"", "\"name\": \"Huyện\\nThạch Hà\"", "provinces[0].districts[0].name")]
    [InlineData("\"lat\": 18.3", "\"lat\": 1000", "provinces[0].districts[0].centroid")]
    public async Task LoadAsync_BadUnit_StopsNamingThePath(string from, string to, string path)
    {
        using var directory = new TempDirectory("hts-catalog");
        var file = Path.Combine(directory.Path, "catalog.json");
        await File.WriteAllTextAsync(file, Catalog.Replace(from, to, StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => CatalogSeeder.LoadAsync(file, TestContext.Current.CancellationToken));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("Registry:CatalogPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_GoodFile_Accepted()
    {
        using var directory = new TempDirectory("hts-catalog");
        var file = Path.Combine(directory.Path, "catalog.json");
        await File.WriteAllTextAsync(file, Catalog, TestContext.Current.CancellationToken);

        var catalog = await CatalogSeeder.LoadAsync(file, TestContext.Current.CancellationToken);

        Assert.Equal("Xã Hồng Lộc", catalog.Provinces[0].Districts[0].Communes[0].Name);
    }

    private const string Catalog = """
        {"source": "test", "provinces": [{"code": "42", "name": "Tỉnh Hà Tĩnh", "type": "Tỉnh", "districts": [
          {"code": "445", "name": "Huyện Thạch Hà", "type": "Huyện", "centroid": {"lat": 18.3, "lon": 105.8}, "communes": [
            {"code": "18409", "name": "Xã Hồng Lộc", "type": "Xã"}]}]}]}
        """;
}
