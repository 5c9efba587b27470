using HaTangSo.Telemetry.Server;

var builder = WebApplication.CreateBuilder(args);
builder.AddServer();
var app = builder.Build();
app.MapServer();
return ConfigurationErrors.Run(app);
