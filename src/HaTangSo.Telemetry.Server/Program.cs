using HaTangSo.Telemetry.Server.Api;
using HaTangSo.Telemetry.Server.Influx;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Registry;

var builder = WebApplication.CreateBuilder(args);
builder.AddServerDiagnostics();
builder.AddRegistry();
builder.AddInflux();
builder.AddIngestion();
builder.AddApi();

var app = builder.Build();
app.MapServerDiagnostics();
app.MapApi();
return ConfigurationErrors.Run(app);
