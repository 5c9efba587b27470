namespace HaTangSo.Telemetry.Contracts;

/// <summary>The JSON Schema documents of the contract, embedded in this assembly.</summary>
public static class ContractSchemas
{
    /// <summary>File name of the result schema.</summary>
    public const string ResultFileName = "hts.result.v1.schema.json";

    /// <summary>File name of the status schema.</summary>
    public const string StatusFileName = "hts.status.v1.schema.json";

    /// <summary>File name of the measurement configuration schema (issue 15.1).</summary>
    public const string ConfigFileName = "hts.config.v1.schema.json";

    /// <summary>File name of the command schema (issue 15.2, 15.5).</summary>
    public const string CommandFileName = "hts.command.v1.schema.json";

    /// <summary>File name of the command acknowledgement schema.</summary>
    public const string AckFileName = "hts.ack.v1.schema.json";

    /// <summary>Reads an embedded schema by file name.</summary>
    public static string Read(string fileName)
    {
        using var stream = typeof(ContractSchemas).Assembly.GetManifestResourceStream(fileName)
            ?? throw new ArgumentException($"No embedded schema named '{fileName}'.", nameof(fileName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
