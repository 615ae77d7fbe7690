using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stratus.Runtime.MicroVm;

/// <summary>What the microVM runtime holds for an instance, kept as <c>runtime.json</c> in the instance directory so a restart of Stratus can take the guest up again.</summary>
internal sealed record MicroVmRecord
{
    public required string InstanceId { get; init; }

    public required string AccountId { get; init; }

    public required string Region { get; init; }

    public string? Image { get; init; }

    /// <summary>The QEMU process while the guest runs; null when it is off.</summary>
    public int? Pid { get; init; }

    public string? Namespace { get; init; }

    public string? Tap { get; init; }

    public MicroVmAccelerator Accelerator { get; init; }

    /// <summary>Where the console log stood when the current boot began (the init marker is looked for after it).</summary>
    public long BootConsoleOffset { get; init; }

    public bool? ReachedInit { get; init; }

    public DateTime? StartedAt { get; init; }

    /// <summary>The drives QEMU was started with (QEMU's drive id → volume id), for per-volume I/O figures.</summary>
    public IReadOnlyList<MicroVmDrive> Drives { get; init; } = [];

    /// <summary>The secondary interfaces hot-plugged into the running QEMU (they stay in it across a guest reboot).</summary>
    public IReadOnlyList<PluggedNic> SecondaryNics { get; init; } = [];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static MicroVmRecord? Load(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<MicroVmRecord>(File.ReadAllText(path), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>A secondary interface plugged into a running microVM: its device index (the hot-plug port), MAC and tap.</summary>
internal sealed record PluggedNic(string NetworkInterfaceId, int DeviceIndex, string MacAddress, string Tap);
