namespace Stratus.Domain.Resources;

/// <summary>Managed prefix lists, subnet CIDR reservations, VPC Block Public Access exclusions and flow logs.</summary>
public static partial class ResourceTypes
{
    public static readonly ResourceType ManagedPrefixList = new("prefix-list", "pl", "InvalidPrefixListID.NotFound", "InvalidPrefixListId.Malformed", "The prefix list ID '{0}' does not exist");
    public static readonly ResourceType SubnetCidrReservation = new("subnet-cidr-reservation", "scr", "InvalidSubnetCidrReservationID.NotFound", "InvalidSubnetCidrReservationID.Malformed", "The subnet CIDR reservation ID '{0}' does not exist");
    public static readonly ResourceType VpcBlockPublicAccessExclusion = new("vpc-block-public-access-exclusion", "vpcbpa-exclude", "InvalidVpcBlockPublicAccessExclusionId.NotFound", "InvalidVpcBlockPublicAccessExclusionId.Malformed", "The VPC Block Public Access exclusion ID '{0}' does not exist");

    public static readonly ResourceType VpcFlowLog = new("vpc-flow-log", "fl", "InvalidFlowLogId.NotFound", "InvalidFlowLogId.NotFound", "These flow log ids in the input list are not found: [TotalCount: 1] {0}");

    private static ResourceType[] NetworkApiTaggable => [ManagedPrefixList, SubnetCidrReservation, VpcBlockPublicAccessExclusion, VpcFlowLog];
}
