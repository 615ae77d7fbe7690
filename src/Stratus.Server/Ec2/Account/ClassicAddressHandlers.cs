using Stratus.Domain.Filtering;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Moving Elastic IP addresses between EC2-Classic and a VPC (MoveAddressToVpc,
/// RestoreAddressToClassic, DescribeMovingAddresses). EC2-Classic is retired and accounts without
/// it never had these moves: EC2 answers <c>UnsupportedOperation</c>, "The functionality you
/// requested is not available in this region.", as it does for ClassicLink, and so does Stratus.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>
    /// The filter AWS documents for DescribeMovingAddresses. The operation answers
    /// UnsupportedOperation before filtering; declared so that the documented filter set stays complete.
    /// </summary>
    [FiltersFor("DescribeMovingAddresses")]
    private static readonly FilterSet<MovingAddressStatus> MovingAddressFilters = new FilterSet<MovingAddressStatus>()
        .Add("moving-status", a => a.MoveStatus);

    public override Task<MoveAddressToVpcResult> MoveAddressToVpcAsync(RequestContext context, MoveAddressToVpcRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<RestoreAddressToClassicResult> RestoreAddressToClassicAsync(RequestContext context, RestoreAddressToClassicRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<DescribeMovingAddressesResult> DescribeMovingAddressesAsync(RequestContext context, DescribeMovingAddressesRequest request) =>
        throw ClassicLinkUnavailable();
}
