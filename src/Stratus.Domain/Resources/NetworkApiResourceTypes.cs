namespace Stratus.Domain.Resources;

/// <summary>Managed prefix lists, subnet CIDR reservations and VPC Block Public Access exclusions.</summary>
public static partial class ResourceTypes
{
    public static readonly ResourceType ManagedPrefixList = new("prefix-list", "pl", "InvalidPrefixListID.NotFound", "InvalidPrefixListId.Malformed", "The prefix list ID '{0}' does not exist");
    public static readonly ResourceType SubnetCidrReservation = new("subnet-cidr-reservation", "scr", "InvalidSubnetCidrReservationID.NotFound", "InvalidSubnetCidrReservationID.Malformed", "The subnet CIDR reservation ID '{0}' does not exist");
    public static readonly ResourceType VpcBlockPublicAccessExclusion = new("vpc-block-public-access-exclusion", "vpcbpa-exclude", "InvalidVpcBlockPublicAccessExclusionId.NotFound", "InvalidVpcBlockPublicAccessExclusionId.Malformed", "The VPC Block Public Access exclusion ID '{0}' does not exist");

    private static ResourceType[] NetworkApiTaggable => [ManagedPrefixList, SubnetCidrReservation, VpcBlockPublicAccessExclusion];
}
