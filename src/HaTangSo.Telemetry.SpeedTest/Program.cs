using HaTangSo.Telemetry.SpeedTest;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddSpeedTest();

var app = builder.Build();
app.MapSpeedTest();
return SpeedTestHost.Run(app);
