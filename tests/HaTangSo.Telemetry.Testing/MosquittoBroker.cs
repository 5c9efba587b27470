using System.Globalization;
using System.Text;

namespace HaTangSo.Telemetry.Testing;

/// <summary>Settings for a test broker.</summary>
public sealed class MosquittoBrokerOptions
{
    /// <summary>Lines appended to the generated mosquitto.conf (ACLs, password files, TLS listeners).</summary>
    public string? ExtraConfig { get; init; }

    /// <summary>Whether clients may connect without a username; true unless a test sets up credentials.</summary>
    public bool AllowAnonymous { get; init; } = true;

    /// <summary>
    /// Load the dynamic-security plugin, initialised with this administrator (<c>mosquitto_ctrl dynsec init</c>);
    /// anonymous clients are then refused.
    /// </summary>
    public (string Username, string Password)? DynamicSecurityAdmin { get; init; }

    /// <summary>Serve MQTT over TLS only, with this CA's broker certificate; there is then no plaintext listener.</summary>
    public TestCertificateAuthority? Tls { get; init; }
}

/// <summary>
/// A real Mosquitto 2.0 broker on a free loopback port with persistence in a temporary directory, so a
/// test can stop it and start it again with its sessions and queued messages intact.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    /// <summary>Where Debian installs the broker.</summary>
    public const string Executable = "/usr/sbin/mosquitto";

    private readonly TempDirectory _directory;
    private TestProcess? _process;

    private MosquittoBroker(TempDirectory directory, int port, string configPath)
    {
        _directory = directory;
        Port = port;
        ConfigPath = configPath;
    }

    /// <summary>Always the loopback address.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The listener's port.</summary>
    public int Port { get; }

    /// <summary>The generated configuration file.</summary>
    public string ConfigPath { get; }

    /// <summary>The broker's directory (persistence, config); readable by the broker's user.</summary>
    public string DirectoryPath => _directory.Path;

    /// <summary>The broker's log so far.</summary>
    public string Output => _process?.Output ?? string.Empty;

    /// <summary>Writes a config and starts the broker; returns when it accepts connections.</summary>
    public static async Task<MosquittoBroker> StartAsync(
        MosquittoBrokerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException(
                $"{Executable} not found: run tests/run.sh (it installs mosquitto with apt-get).");
        }

        options ??= new MosquittoBrokerOptions();
        var directory = new TempDirectory("hts-mosquitto");
        var port = FreePort.Next();
        var dynamicSecurity = string.Empty;
        if (options.DynamicSecurityAdmin is { } admin)
        {
            dynamicSecurity = await InitDynamicSecurityAsync(directory.Path, admin.Username, admin.Password, cancellationToken);
        }

        var config = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1")
            .AppendLine(options.Tls is { } tls ? $"cafile {tls.CaFile}\ncertfile {tls.BrokerCertificateFile}\nkeyfile {tls.BrokerKeyFile}" : string.Empty)
            .AppendLine(CultureInfo.InvariantCulture, $"allow_anonymous {(options.AllowAnonymous && options.DynamicSecurityAdmin is null ? "true" : "false")}")
            .AppendLine(dynamicSecurity)
            .AppendLine("persistence true")
            .AppendLine(CultureInfo.InvariantCulture, $"persistence_location {directory.Path}/")
            // Sessions of the server hold thousands of unacknowledged results while InfluxDB is down:
            // the default queue of 1000 would drop the rest (mosquitto.conf(5), max_queued_messages).
            .AppendLine("max_queued_messages 0")
            // The shipped bound on the memory a session's queue may take (deploy/mosquitto/mosquitto.conf).
            .AppendLine("max_queued_bytes 1073741824")
            .AppendLine("max_inflight_messages 0")
            .AppendLine("log_dest stdout")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice")
            .AppendLine(options.ExtraConfig ?? string.Empty)
            .ToString();
        var configPath = Path.Combine(directory.Path, "mosquitto.conf");
        await File.WriteAllTextAsync(configPath, config, cancellationToken);

        var broker = new MosquittoBroker(directory, port, configPath);
        await broker.StartAgainAsync(cancellationToken);
        return broker;
    }

    /// <summary>
    /// <c>mosquitto_ctrl dynsec init</c> in <paramref name="directory"/> with this administrator; returns the
    /// configuration lines that load the plugin with that file.
    /// </summary>
    public static async Task<string> InitDynamicSecurityAsync(string directory, string username, string password, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(directory, "dynamic-security.json");
        (await Command.RunAsync("mosquitto_ctrl", ["dynsec", "init", path, username, password], cancellationToken))
            .StdoutOrThrow("mosquitto_ctrl dynsec init");

        // The broker drops to the mosquitto user and saves every change to this file.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        }
        // The production shape (deploy/mosquitto/mosquitto.conf) also caps message size.
        return $"plugin {DynamicSecurityPlugin}\nplugin_opt_config_file {path}\nmessage_size_limit 65536";
    }

    /// <summary>The dynamic-security plugin of the installed Mosquitto.</summary>
    public static string DynamicSecurityPlugin =>
        // Debian installs it in the multiarch directory; scanning /usr/lib recursively follows symlink loops.
        Directory.GetDirectories("/usr/lib", "*-linux-gnu").Append("/usr/lib").Append("/usr/lib/mosquitto")
            .Select(d => System.IO.Path.Combine(d, "mosquitto_dynamic_security.so"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("mosquitto_dynamic_security.so not found (Debian package mosquitto).");

    /// <summary>Starts the broker (again) on the same port with the same data.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The broker is already running.");
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _process = TestProcess.Start("mosquitto", Executable, ["-c", ConfigPath]);
        await _process.WaitForPortAsync(Port, TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>Stops the broker with SIGTERM: it saves its persistence file first.</summary>
    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(20)) ?? Task.CompletedTask;

    /// <summary>Kills the broker with SIGKILL (nothing saved since the last autosave).</summary>
    public Task KillAsync() => _process?.KillAsync() ?? Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _directory.Dispose();
    }
}
