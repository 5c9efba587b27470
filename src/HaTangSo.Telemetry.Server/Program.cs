using HaTangSo.Telemetry.Server;
using HaTangSo.Telemetry.Server.Releases;

// hts-server release keygen|sign|verify: the release tool, no host started.
if (args is ["release", ..])
{
    return await ReleaseCommand.InvokeAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServer();
var app = builder.Build();
app.MapServer();
return ConfigurationErrors.Run(app);
