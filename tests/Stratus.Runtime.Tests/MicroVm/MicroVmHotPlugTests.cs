using System.Text.Json.Nodes;
using Stratus.Runtime.MicroVm;
using Xunit;

namespace Stratus.Runtime.Tests.MicroVm;

/// <summary>The QMP commands and QEMU arguments of network interface hot-plug on microVMs (no QEMU needed).</summary>
public sealed class MicroVmHotPlugTests
{
    [Fact]
    public void The_machine_has_a_pcie_host_bridge_and_one_root_port_per_device_index()
    {
        Assert.Contains("pcie=on", MicroVmHotPlug.Machine, StringComparison.Ordinal);
        Assert.StartsWith("microvm,", MicroVmHotPlug.Machine, StringComparison.Ordinal);
        Assert.Equal("pcie_ports=native", MicroVmHotPlug.KernelArgument);
        var args = MicroVmHotPlug.PortArguments().ToList();
        Assert.Equal(2 * MicroVmHotPlug.Ports, args.Count);
        Assert.Equal("-device", args[0]);
        Assert.Equal("pcie-root-port,id=hp1,bus=pcie.0,chassis=1,slot=1", args[1]);
        Assert.Equal($"pcie-root-port,id=hp{MicroVmHotPlug.Ports},bus=pcie.0,chassis={MicroVmHotPlug.Ports},slot={MicroVmHotPlug.Ports}", args[^1]);
    }

    [Fact]
    public void Attaching_adds_the_tap_backend_then_a_virtio_net_pci_device_with_the_interfaces_mac_in_its_device_index_port()
    {
        var (netdev, netdevArgs) = MicroVmHotPlug.NetdevAdd("eni-0123456789abcdef0", "t-1a2b3c4d");
        Assert.Equal("netdev_add", netdev);
        Assert.Equal("""{"type":"tap","id":"net-eni-0123456789abcdef0","ifname":"t-1a2b3c4d","script":"no","downscript":"no"}""", netdevArgs.ToJsonString());

        var (device, deviceArgs) = MicroVmHotPlug.DeviceAdd("eni-0123456789abcdef0", "0E:12:34:56:78:9A", 2);
        Assert.Equal("device_add", device);
        Assert.Equal("""{"driver":"virtio-net-pci","id":"nic-eni-0123456789abcdef0","netdev":"net-eni-0123456789abcdef0","mac":"0e:12:34:56:78:9a","bus":"hp2","romfile":""}""", deviceArgs.ToJsonString());
    }

    [Fact]
    public void Detaching_deletes_the_device_then_its_backend()
    {
        Assert.Equal(("device_del", """{"id":"nic-eni-1"}"""), Text(MicroVmHotPlug.DeviceDel("eni-1")));
        Assert.Equal(("netdev_del", """{"id":"net-eni-1"}"""), Text(MicroVmHotPlug.NetdevDel("eni-1")));
        Assert.Equal(("qom-list", """{"path":"/machine/peripheral"}"""), Text(MicroVmHotPlug.ListPeripherals()));
    }

    [Fact]
    public void A_qom_list_answer_names_the_devices_still_plugged_in()
    {
        var answer = JsonNode.Parse("""[{"name":"type","type":"string"},{"name":"hp1","type":"child<pcie-root-port>"},{"name":"nic-eni-1","type":"child<virtio-net-pci>"}]""");
        var names = MicroVmHotPlug.Names(answer);
        Assert.Contains("nic-eni-1", names);
        Assert.Contains("hp1", names);
        Assert.Empty(MicroVmHotPlug.Names(null));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(MicroVmHotPlug.Ports, true)]
    [InlineData(MicroVmHotPlug.Ports + 1, false)]
    public void Only_device_indexes_with_a_port_are_pluggable(int deviceIndex, bool pluggable)
    {
        Assert.Equal(pluggable, MicroVmHotPlug.HasPort(deviceIndex));
        if (!pluggable)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => MicroVmHotPlug.DeviceAdd("eni-1", "0e:00:00:00:00:01", deviceIndex));
        }
    }

    [Fact]
    public void Ids_keep_to_the_characters_qemu_accepts()
    {
        Assert.Equal("nic-eni_weird_id", MicroVmHotPlug.DeviceId("eni/weird id"));
    }

    private static (string, string) Text((string Command, JsonObject Arguments) command) => (command.Command, command.Arguments.ToJsonString());
}
