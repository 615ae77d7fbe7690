using System.Globalization;
using System.Text.Json.Nodes;

namespace Stratus.Runtime.MicroVm;

/// <summary>
/// How a microVM takes network interfaces while it runs. QEMU's <c>-M microvm</c> devices are
/// virtio-mmio, which cannot be hot-plugged, so the machine is started with <c>pcie=on</c> (a PCIe
/// host bridge described in ACPI) and <see cref="Ports"/> empty <c>pcie-root-port</c> devices
/// <c>hp1</c>…, one per device index: an interface at device index <c>d</c> is plugged into port
/// <c>hp&lt;d&gt;</c> (physical slot <c>d</c>, which the guest reads from <c>/sys/bus/pci/slots/&lt;d&gt;</c>
/// to name it <c>eth&lt;d&gt;</c>) with QMP <c>netdev_add</c> (its tap) and <c>device_add virtio-net-pci</c>
/// (its MAC); the guest kernel's PCIe native hot-plug driver (pciehp) brings it up. Unplugging is
/// <c>device_del</c> (the guest releases the device; QEMU then reports it gone) and <c>netdev_del</c>.
/// The primary interface and the disks stay virtio-mmio devices.
/// </summary>
internal static class MicroVmHotPlug
{
    /// <summary>Hot-plug ports per guest: secondary interfaces at device index 1 to 7 (eight interfaces in all, as the larger instance types).</summary>
    public const int Ports = 7;

    /// <summary>The machine options: the microvm machine with its PCIe host bridge.</summary>
    public const string Machine = "microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=on,pcie=on";

    /// <summary>
    /// On the kernel command line: the root ports' hot-plug is the guest's to drive. Linux asks the
    /// firmware for PCIe control (ACPI <c>_OSC</c>) before it has set up extended configuration
    /// space (microvm's ECAM comes from the host bridge's <c>_CBA</c>), so it would not ask at all
    /// and leave pciehp unbound ("not requesting OS control; OS requires [ExtendedConfig …]").
    /// </summary>
    public const string KernelArgument = "pcie_ports=native";

    /// <summary>The <c>-device</c> arguments of the hot-plug ports.</summary>
    public static IEnumerable<string> PortArguments()
    {
        for (var index = 1; index <= Ports; index++)
        {
            yield return "-device";
            yield return string.Create(CultureInfo.InvariantCulture, $"pcie-root-port,id={PortId(index)},bus=pcie.0,chassis={index},slot={index}");
        }
    }

    public static string PortId(int deviceIndex) => "hp" + deviceIndex.ToString(CultureInfo.InvariantCulture);

    /// <summary>QEMU's id of the interface's device (QEMU ids: a letter, then letters, digits, '-', '.', '_').</summary>
    public static string DeviceId(string networkInterfaceId) => "nic-" + Sanitize(networkInterfaceId);

    /// <summary>QEMU's id of the interface's network backend.</summary>
    public static string NetdevId(string networkInterfaceId) => "net-" + Sanitize(networkInterfaceId);

    /// <summary>Whether an interface at <paramref name="deviceIndex"/> has a port to go into.</summary>
    public static bool HasPort(int deviceIndex) => deviceIndex is >= 1 and <= Ports;

    /// <summary><c>netdev_add</c>: the interface's tap (opened by name in QEMU's network namespace, the VPC's).</summary>
    public static (string Command, JsonObject Arguments) NetdevAdd(string networkInterfaceId, string tap) =>
        ("netdev_add", new JsonObject
        {
            ["type"] = "tap",
            ["id"] = NetdevId(networkInterfaceId),
            ["ifname"] = tap,
            ["script"] = "no",
            ["downscript"] = "no",
        });

    /// <summary><c>device_add</c>: a virtio-net-pci device with the interface's MAC in the port of its device index.</summary>
    public static (string Command, JsonObject Arguments) DeviceAdd(string networkInterfaceId, string macAddress, int deviceIndex)
    {
        if (!HasPort(deviceIndex))
        {
            throw new ArgumentOutOfRangeException(nameof(deviceIndex), deviceIndex, $"a microVM has hot-plug ports for device indexes 1 to {Ports}");
        }
        return ("device_add", new JsonObject
        {
            ["driver"] = "virtio-net-pci",
            ["id"] = DeviceId(networkInterfaceId),
            ["netdev"] = NetdevId(networkInterfaceId),
            ["mac"] = macAddress.ToLowerInvariant(),
            ["bus"] = PortId(deviceIndex),
            ["romfile"] = "",
        });
    }

    public static (string Command, JsonObject Arguments) DeviceDel(string networkInterfaceId) =>
        ("device_del", new JsonObject { ["id"] = DeviceId(networkInterfaceId) });

    public static (string Command, JsonObject Arguments) NetdevDel(string networkInterfaceId) =>
        ("netdev_del", new JsonObject { ["id"] = NetdevId(networkInterfaceId) });

    /// <summary>Lists the user-created devices (<c>qom-list /machine/peripheral</c>): an unplugged device leaves it.</summary>
    public static (string Command, JsonObject Arguments) ListPeripherals() =>
        ("qom-list", new JsonObject { ["path"] = "/machine/peripheral" });

    /// <summary>The ids in a <c>qom-list</c> answer.</summary>
    public static IReadOnlySet<string> Names(JsonNode? qomList) =>
        (qomList as JsonArray ?? []).Select(p => p?["name"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);

    private static string Sanitize(string id)
    {
        var chars = id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_').ToArray();
        return new string(chars);
    }
}
