using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using HaTangSo.Telemetry.Contracts;
using HaTangSo.Telemetry.Server.Ingestion;
using HaTangSo.Telemetry.Server.Provisioning;
using HaTangSo.Telemetry.Server.Registry;
using HaTangSo.Telemetry.Server.Registry.Catalogue;
using HaTangSo.Telemetry.Server.Resilience;
using HaTangSo.Telemetry.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.Registry;

namespace HaTangSo.Telemetry.Benchmarks;

/// <summary>
/// What the start-up's upgrade of probes' broker roles (issue 15's configuration and command rights) costs the broker:
/// <c>probes</c> probes registered in a real PostgreSQL and present in a real Mosquitto's dynamic-security file as a
/// release before issue 15 enrolled them (their role may publish results and status, nothing else); then the upgrade as
/// the server's start-up runs it (<see cref="ProbeRoleUpgrade.RunOnceAsync"/>): (a) the first start, when every role lacks
/// the fleet ACLs (the pass, then its record in PostgreSQL), (b) a second start (recorded: skipped), and (c) the pass
/// itself forced again, when every ACL exists (what every start cost before the record). Prints wall time, the broker's
/// CPU seconds (/proc/PID/stat) and this process's.
/// </summary>
internal static class ProbeRoleUpgradeBenchmark
{
    private const string Admin = "hts-admin";

    public static async Task RunAsync(int probes, CancellationToken ct)
    {
        Console.WriteLine(FormattableString.Invariant(
            $"HaTangSo.Telemetry probe role upgrade benchmark: {probes:N0} probes enrolled before issue 15; {Environment.ProcessorCount} cores, load {Load.Average()}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        var ids = Enumerable.Range(0, probes).Select(i => "bench-" + i.ToString("D5", CultureInfo.InvariantCulture)).ToList();
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(cancellationToken: ct));
        var registry = await RegisterAsync(dataSource, ids, ct);

        var adminPassword = TestArtifacts.Secret(Guid.NewGuid().ToString("N"));
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions { DynamicSecurityAdmin = (Admin, adminPassword) }, ct);
        await broker.StopAsync();
        var dynsecFile = Path.Combine(broker.DirectoryPath, "dynamic-security.json");
        await WritePreIssue15ProbesAsync(dynsecFile, ids, ct);
        await broker.StartAgainAsync(ct);
        var brokerPid = Load.ProcessOf(broker.ConfigPath);

        var mqtt = Options.Create(new MqttOptions { Host = broker.Host, Port = broker.Port });
        var provisioning = Options.Create(new ProvisioningOptions { AdminUsername = Admin, AdminPassword = adminPassword });
        using var directory = new ProbeDirectory(registry, new SpeedTestServerStore(dataSource), TimeProvider.System, Options.Create(new RegistryOptions()),
            NullLogger<ProbeDirectory>.Instance);
        using var enrolment = new ProbeEnrolment(new DynamicSecurity(mqtt, provisioning), registry, directory, provisioning);
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        var logger = loggers.CreateLogger("upgrade");

        // The pipelines without retries: a failure here should end the benchmark, not wait.
        var pipelines = new ResiliencePipelineRegistry<Dependency>();
        pipelines.TryAddBuilder(Dependency.Broker, (_, _) => { });
        pipelines.TryAddBuilder(Dependency.PostgreSql, (_, _) => { });
        var upgrade = new ProbeRoleUpgrade(enrolment, new BrokerUpgradeStore(dataSource), pipelines, TimeProvider.System, loggers.CreateLogger<ProbeRoleUpgrade>());

        await MeasureAsync($"(a) first start, {probes:N0} roles without the fleet ACLs, upgraded and recorded", () => upgrade.RunOnceAsync(ct), brokerPid, dynsecFile, ct);
        var record = await new BrokerUpgradeStore(dataSource).FindAsync(ProbeRoleUpgrade.Name, ct);
        Console.WriteLine(FormattableString.Invariant($"  recorded: {(record is null ? "no" : $"{record.Probes:N0} probes at {record.DoneAt:HH:mm:ss} UTC")}"));
        await MeasureAsync("(b) second start, the upgrade recorded", () => upgrade.RunOnceAsync(ct), brokerPid, dynsecFile, ct);
        await MeasureAsync("(c) the pass forced again, every ACL exists", () => enrolment.UpgradeProbeRolesAsync(logger, ct), brokerPid, dynsecFile, ct);
    }

    private static async Task MeasureAsync(string what, Func<Task> upgrade, int brokerPid, string dynsecFile, CancellationToken ct)
    {
        var brokerBefore = Load.CpuSeconds(brokerPid);
        var ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        await upgrade();
        var elapsed = stopwatch.Elapsed;
        var own = Process.GetCurrentProcess().TotalProcessorTime - ownBefore;
        var brokerCpu = Load.CpuSeconds(brokerPid) - brokerBefore;
        var (upgraded, roles) = await CountUpgradedAsync(dynsecFile, ct);
        Console.WriteLine(FormattableString.Invariant(
            $"  {what}: {elapsed.TotalSeconds:0.00} s wall, broker {brokerCpu:0.00} s CPU, this process {own.TotalSeconds:0.00} s CPU; roles with the fleet ACLs {upgraded:N0}/{roles:N0}; load {Load.Average()}"));
    }

    // The registry: every probe in Tân Lộc (Hà Tĩnh), one fixed link, as an enrolment registers it.
    private static async Task<RegistryStore> RegisterAsync(NpgsqlDataSource dataSource, List<string> ids, CancellationToken ct)
    {
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
        await new CatalogueLoader(dataSource, Options.Create(new RegistryOptions()), TimeProvider.System, NullLogger<CatalogueLoader>.Instance).LoadAsync(ct);
        var registry = new RegistryStore(dataSource);
        var stopwatch = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            await registry.UpsertProbeAsync(new ProbeRegistration(id, "18409", null, null, true, [new ProbeLink("fixed", "fixed", "VNPT", "ftth", null, null)]), ct);
        }

        Console.WriteLine(FormattableString.Invariant($"  registered {ids.Count:N0} probes in PostgreSQL: {stopwatch.Elapsed.TotalSeconds:0.0} s"));
        return registry;
    }

    // The broker as a release before issue 15 left it: each probe's client (bound to its client id; the administrator's
    // password hash, so each entry has a real one's size) and its role with the results and status ACLs only. Written
    // into the plugin's file while the broker is stopped: enrolling them one by one would time the set-up, not the upgrade.
    private static async Task WritePreIssue15ProbesAsync(string path, List<string> ids, CancellationToken ct)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(path, ct))!.AsObject();
        var admin = config["clients"]!.AsArray().Single(c => c!["username"]!.GetValue<string>() == Admin)!;
        foreach (var id in ids)
        {
            var role = ProbeEnrolment.ProbeRole(id);
            config["clients"]!.AsArray().Add(new JsonObject
            {
                ["username"] = id, ["clientid"] = id, ["password"] = admin["password"]!.DeepClone(), ["salt"] = admin["salt"]!.DeepClone(),
                ["iterations"] = admin["iterations"]!.DeepClone(), ["roles"] = new JsonArray(new JsonObject { ["rolename"] = role, ["priority"] = 0 }),
            });
            config["roles"]!.AsArray().Add(new JsonObject
            {
                ["rolename"] = role,
                ["acls"] = new JsonArray(
                    new JsonObject { ["acltype"] = "publishClientSend", ["topic"] = Topics.Results(id), ["priority"] = 0, ["allow"] = true },
                    new JsonObject { ["acltype"] = "publishClientSend", ["topic"] = Topics.Status(id), ["priority"] = 0, ["allow"] = true }),
            });
        }

        await File.WriteAllTextAsync(path, config.ToJsonString(), ct);
    }

    // The plugin saves its file after every change: the probes' roles holding all of the fleet ACLs, of all probes' roles.
    private static async Task<(int Upgraded, int Roles)> CountUpgradedAsync(string path, CancellationToken ct)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(path, ct))!.AsObject();
        var roles = config["roles"]!.AsArray().Where(r => r!["rolename"]!.GetValue<string>().StartsWith("hts-probe-", StringComparison.Ordinal)).ToList();
        var upgraded = roles.Count(r =>
        {
            var id = r!["rolename"]!.GetValue<string>()["hts-probe-".Length..];
            var topics = (r["acls"] as JsonArray ?? []).Select(a => a!["acltype"]!.GetValue<string>() + " " + a["topic"]!.GetValue<string>()).ToHashSet();
            return ProbeEnrolment.FleetAcls(id).All(acl => topics.Contains(acl["acltype"]!.GetValue<string>() + " " + acl["topic"]!.GetValue<string>()));
        });
        return (upgraded, roles.Count);
    }
}
