using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// ClassicLink. EC2-Classic is retired and VPC-only accounts never had it: EC2 answers every
/// ClassicLink operation with <c>UnsupportedOperation</c>, "The functionality you requested is
/// not available in this region.", in every region, and so does Stratus. Clients recognise that
/// exact answer (amazon.aws's ec2_vpc_net reads it as "ClassicLink disabled"; ec2_vpc_net_info
/// treats the code the same way), so the operations are served rather than left unimplemented.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>
    /// The filters AWS documents for DescribeVpcClassicLink. The operation answers
    /// UnsupportedOperation before filtering, as EC2 does; declared so that the documented filter
    /// set stays complete (a VPC's ClassicLink is never enabled).
    /// </summary>
    [FiltersFor("DescribeVpcClassicLink")]
    private static readonly FilterSet<VpcResource> VpcClassicLinkFilters = new FilterSet<VpcResource>()
        .Add("is-classic-link-enabled", _ => false)
        .WithTags(v => v.Tags);

    internal static AwsException ClassicLinkUnavailable() =>
        new("UnsupportedOperation", "The functionality you requested is not available in this region.");

    public override Task<DescribeVpcClassicLinkResult> DescribeVpcClassicLinkAsync(RequestContext context, DescribeVpcClassicLinkRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<DescribeVpcClassicLinkDnsSupportResult> DescribeVpcClassicLinkDnsSupportAsync(RequestContext context, DescribeVpcClassicLinkDnsSupportRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<EnableVpcClassicLinkResult> EnableVpcClassicLinkAsync(RequestContext context, EnableVpcClassicLinkRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<DisableVpcClassicLinkResult> DisableVpcClassicLinkAsync(RequestContext context, DisableVpcClassicLinkRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<EnableVpcClassicLinkDnsSupportResult> EnableVpcClassicLinkDnsSupportAsync(RequestContext context, EnableVpcClassicLinkDnsSupportRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<DisableVpcClassicLinkDnsSupportResult> DisableVpcClassicLinkDnsSupportAsync(RequestContext context, DisableVpcClassicLinkDnsSupportRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<AttachClassicLinkVpcResult> AttachClassicLinkVpcAsync(RequestContext context, AttachClassicLinkVpcRequest request) =>
        throw ClassicLinkUnavailable();

    public override Task<DetachClassicLinkVpcResult> DetachClassicLinkVpcAsync(RequestContext context, DetachClassicLinkVpcRequest request) =>
        throw ClassicLinkUnavailable();
}
