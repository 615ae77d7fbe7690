using Stratus.Ec2.Model;

namespace Stratus.Server.Ec2;

/// <summary>Operations of the prefix-list, CIDR-reservation and Block Public Access areas after which running guests' filters follow the store.</summary>
internal sealed partial class Ec2Service
{
    private static Ec2Action[] NetworkApiFirewallActions =>
    [
        Ec2Action.ModifyManagedPrefixList, Ec2Action.RestoreManagedPrefixListVersion,
        Ec2Action.ModifyVpcBlockPublicAccessOptions,
        Ec2Action.CreateVpcBlockPublicAccessExclusion, Ec2Action.ModifyVpcBlockPublicAccessExclusion, Ec2Action.DeleteVpcBlockPublicAccessExclusion,
    ];
}
