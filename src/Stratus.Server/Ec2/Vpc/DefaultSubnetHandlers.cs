using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>CreateDefaultSubnet: the default subnet of a zone in the default VPC (Terraform's aws_default_subnet).</summary>
internal sealed partial class Ec2Service
{
    public override async Task<CreateDefaultSubnetResult> CreateDefaultSubnetAsync(RequestContext context, CreateDefaultSubnetRequest request)
    {
        var subnet = await DefaultSubnets.CreateAsync(context.Transaction, context.Scope, request.AvailabilityZone, request.AvailabilityZoneId,
            request.Ipv6Native == true, context.Now, context.Cancellation).ConfigureAwait(false);
        if (!context.DryRun)
        {
            context.AfterCommit(() => _lifecycle.SyncFirewallAsync(context.Scope, ct: CancellationToken.None));
        }
        return new CreateDefaultSubnetResult { Subnet = ToShape(subnet) };
    }
}
