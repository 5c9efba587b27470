using System.CommandLine;
using HaTangSo.Telemetry.Probe.Cli;
using HaTangSo.Telemetry.Probe.Configuration;

var root = new RootCommand("hts-probe: measures a commune office's fixed and mobile links and publishes the results (HaTangSo.Telemetry)")
{
    RunCommand.Create(),
    MeasureCommand.Create(),
    SelfTestCommand.Create(),
    QueueCommand.Create(),
    UpgradeCommand.Create(),
};
try
{
    return await root.Parse(args).InvokeAsync();
}
catch (ProbeConfigException ex)
{
    await Console.Error.WriteLineAsync("Configuration error: " + ex.Message);
    return 78; // EX_CONFIG: systemd shows it, and Restart= does not loop on a broken config with RestartPreventExitStatus=78
}
