using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// The EC2 handlers. Each area (regions, VPC, tags, ...) is a partial file of this class that
/// overrides the generated virtual method of every operation it implements; the generated
/// <see cref="Ec2ServiceBase{TContext}.DispatchAsync(Ec2Action, TContext, object)"/> is the one dispatch. Handlers translate
/// between the wire shapes and the domain; state lives in the store. As a gateway service, EC2
/// provisions the caller's default VPC in the region before any handler runs.
/// </summary>
internal sealed partial class Ec2Service(ServerOptions options, InstanceLifecycle lifecycle, DefaultVpcProvisioner defaultVpcs)
    : Ec2ServiceBase<RequestContext>, IAwsService
{
    private static readonly Dictionary<OperationInfo, Ec2Action> Actions =
        Enum.GetValues<Ec2Action>().ToDictionary(a => Ec2Shapes.Service.Operations[(int)a]);

    /// <summary>Operations whose changes the packet filters of running guests follow (after the commit, before the answer).</summary>
    private static readonly HashSet<Ec2Action> FirewallActions =
    [
        Ec2Action.AuthorizeSecurityGroupIngress, Ec2Action.AuthorizeSecurityGroupEgress,
        Ec2Action.RevokeSecurityGroupIngress, Ec2Action.RevokeSecurityGroupEgress,
        Ec2Action.ModifySecurityGroupRules, Ec2Action.DeleteSecurityGroup,
        Ec2Action.ModifyInstanceAttribute, Ec2Action.ModifyNetworkInterfaceAttribute,
        Ec2Action.CreateNetworkAclEntry, Ec2Action.ReplaceNetworkAclEntry, Ec2Action.DeleteNetworkAclEntry,
        Ec2Action.ReplaceNetworkAclAssociation, Ec2Action.DeleteNetworkAcl,
        Ec2Action.CreateRoute, Ec2Action.ReplaceRoute, Ec2Action.DeleteRoute,
        Ec2Action.AssociateRouteTable, Ec2Action.DisassociateRouteTable, Ec2Action.ReplaceRouteTableAssociation,
        Ec2Action.AttachInternetGateway, Ec2Action.DetachInternetGateway,
        Ec2Action.CreateNetworkInterface, Ec2Action.DeleteNetworkInterface,
        Ec2Action.AttachNetworkInterface, Ec2Action.DetachNetworkInterface,
        Ec2Action.AssignPrivateIpAddresses, Ec2Action.UnassignPrivateIpAddresses,
        Ec2Action.CreateSubnet, Ec2Action.DeleteSubnet,
    ];

    private readonly ServerOptions _options = options;
    private readonly InstanceLifecycle _lifecycle = lifecycle;

    /// <summary>EC2 on the wire: signing name <c>ec2</c>, the <c>ec2</c> protocol, API version 2016-11-15.</summary>
    public static AwsServiceEndpoint WireEndpoint { get; } = new("ec2", Ec2Shapes.Service.ApiVersion, ["ec2"]);

    /// <summary>The operations this class overrides, i.e. implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(Ec2Service));

    ServiceInfo IAwsService.Model => Ec2Shapes.Service;

    AwsServiceEndpoint IAwsService.Endpoint => WireEndpoint;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input)
    {
        var action = Actions[context.Operation];
        if (FirewallActions.Contains(action) && !context.DryRun)
        {
            context.AfterCommit(() => _lifecycle.SyncFirewallAsync(context.Scope, ct: CancellationToken.None));
        }
        return DispatchAsync(action, context, input);
    }

    ValueTask IAwsService.BeforeHandlerAsync(RequestContext context) =>
        new(defaultVpcs.EnsureAsync(context.Scope, context.Cancellation));

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);
}
