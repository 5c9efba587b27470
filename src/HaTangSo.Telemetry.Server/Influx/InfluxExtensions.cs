using HaTangSo.Telemetry.InfluxDb;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Influx;

/// <summary>InfluxDB: the v1 HTTP client, start-up provisioning and the point writer.</summary>
internal static class InfluxExtensions
{
    public static IHostApplicationBuilder AddInflux(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<InfluxOptions>().BindConfiguration(InfluxOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<InfluxOptions>, InfluxOptionsValidator>();
        builder.Services.AddHttpClient(nameof(InfluxDbClient), (sp, http) =>
            http.Timeout = sp.GetRequiredService<IOptions<InfluxOptions>>().Value.Timeout);
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<InfluxOptions>>().Value;
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(InfluxDbClient));
            return new InfluxDbClient(http, new InfluxDbConnection
            {
                BaseAddress = options.Url!,
                Database = options.Database,
                RetentionPolicy = options.CreateDatabase ? options.RetentionPolicy : null,
                Username = options.Username,
                Password = options.Password,
                Token = options.Token,
                Gzip = options.Gzip,
            });
        });
        builder.Services.AddSingleton<InfluxPointWriter>();
        builder.Services.AddSingleton<InfluxReadiness>();
        builder.Services.AddHostedService<InfluxStartup>();
        return builder;
    }
}
