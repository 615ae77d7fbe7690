using Stratus.Domain.Firewall;
using Stratus.Domain.Images;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Store.Sqlite;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>What the packet filter of a VPC reads from a real (SQLite) store: its interfaces' groups, their rules only, and the members of referenced groups.</summary>
public sealed class VpcFirewallReadTests : IAsyncLifetime
{
    private static readonly Scope Scope = new("123456789012", "us-east-1");
    private static readonly DateTime Now = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-domain-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;
    private string _vpcId = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
        await ImageCatalog.EnsureAsync(_store, Now);
        await new DefaultVpcProvisioner(_store, TimeProvider.System).EnsureAsync(Scope);
        await using var read = await _store.OpenReadAsync();
        _vpcId = (await read.ListAsync<VpcResource>(Scope, ResourceTypes.Vpc)).Single(v => v.IsDefault).Id;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static SecurityGroupRuleResource Rule(string id, string group, int port, string? cidr = null, string? referenced = null) => new()
    {
        Id = id,
        GroupId = group,
        GroupOwnerId = Scope.AccountId,
        IsEgress = false,
        IpProtocol = "tcp",
        FromPort = port,
        ToPort = port,
        CidrIpv4 = cidr,
        ReferencedGroupId = referenced,
    };

    private static NetworkInterfaceResource Eni(string id, string vpcId, string ip, string[] groups, params string[] secondary) => new()
    {
        Id = id,
        OwnerId = Scope.AccountId,
        SubnetId = "subnet-" + id[4..],
        VpcId = vpcId,
        AvailabilityZone = "us-east-1a",
        PrivateIpAddress = ip,
        SecondaryPrivateIpAddresses = [.. secondary],
        MacAddress = "02:00:00:00:00:01",
        SecurityGroupIds = [.. groups],
    };

    [Fact]
    public async Task Each_group_gets_its_own_rules_and_a_referenced_group_the_addresses_of_all_its_interfaces()
    {
        await using (var tx = await _store.BeginWriteAsync())
        {
            foreach (var rule in new[]
            {
                Rule("sgr-03", "sg-web", 443, cidr: "0.0.0.0/0"),
                Rule("sgr-01", "sg-web", 80, cidr: "0.0.0.0/0"),
                Rule("sgr-02", "sg-db", 5432, referenced: "sg-web"),
                Rule("sgr-04", "sg-unused", 22, cidr: "0.0.0.0/0"),
            })
            {
                await tx.PutAsync(Scope, ResourceTypes.SecurityGroupRule, rule.Id, rule, Now);
            }
            foreach (var eni in new[]
            {
                Eni("eni-web1", _vpcId, "172.31.0.20", ["sg-web"], "172.31.0.21"),
                Eni("eni-web2", _vpcId, "172.31.0.10", ["sg-web", "sg-db"]),
                Eni("eni-db", _vpcId, "172.31.0.30", ["sg-db"]),
                // Another VPC's interface in sg-web: its address is a member too; sg-unused is on no interface of the VPC.
                Eni("eni-elsewhere", "vpc-other", "10.5.0.9", ["sg-web", "sg-unused"]),
            })
            {
                await tx.PutAsync(Scope, ResourceTypes.NetworkInterface, eni.Id, eni, Now);
            }
            await tx.CommitAsync();
        }

        await using var read = await _store.OpenReadAsync();
        var firewall = (await VpcFirewall.ReadAsync(read, Scope, _vpcId))!;

        Assert.Equal(["eni-db", "eni-web1", "eni-web2"], firewall.Interfaces.Select(i => i.NetworkInterfaceId));
        Assert.Equal(["sg-db", "sg-web"], firewall.GroupRules.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["sgr-01", "sgr-03"], firewall.GroupRules["sg-web"].Select(r => r.RuleId));
        Assert.Equal([(5432, PeerKind.Group, "sg-web")], firewall.GroupRules["sg-db"].Select(r => (r.FromPort!.Value, r.PeerKind, r.Peer)));
        Assert.Equal(["sg-web"], firewall.GroupMembers.Keys);
        Assert.Equal(["10.5.0.9", "172.31.0.10", "172.31.0.20", "172.31.0.21"], firewall.GroupMembers["sg-web"]);
    }
}
