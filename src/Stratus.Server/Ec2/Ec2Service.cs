using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// The EC2 handlers. Each area (regions, VPC, tags, ...) is a partial file of this class that
/// overrides the generated virtual method of every operation it implements; the generated
/// <see cref="Ec2ServiceBase{TContext}.DispatchAsync(OperationInfo, TContext, object?)"/> is the one dispatch. Handlers translate
/// between the wire shapes and the domain; state lives in the store. As a gateway service, EC2
/// provisions the caller's default VPC in the region before any handler runs.
/// </summary>
internal sealed partial class Ec2Service(ServerOptions options, InstanceLifecycle lifecycle, DefaultVpcProvisioner defaultVpcs, Spot.SpotController? spot = null,
    Fleets.FleetController? fleets = null, DecodedResources? decoded = null)
    : Ec2ServiceBase<RequestContext>, IAwsService
{
    /// <summary>Operations whose changes the packet filters of running guests follow (after the commit, before the answer).</summary>
    private static readonly HashSet<Ec2Action> FirewallActions =
    [
        Ec2Action.AuthorizeSecurityGroupIngress, Ec2Action.AuthorizeSecurityGroupEgress,
        Ec2Action.RevokeSecurityGroupIngress, Ec2Action.RevokeSecurityGroupEgress,
        Ec2Action.ModifySecurityGroupRules, Ec2Action.DeleteSecurityGroup,
        Ec2Action.ModifyInstanceAttribute, Ec2Action.ModifyNetworkInterfaceAttribute,
        Ec2Action.ResetInstanceAttribute, Ec2Action.ResetNetworkInterfaceAttribute,
        Ec2Action.CreateNetworkAclEntry, Ec2Action.ReplaceNetworkAclEntry, Ec2Action.DeleteNetworkAclEntry,
        Ec2Action.ReplaceNetworkAclAssociation, Ec2Action.DeleteNetworkAcl,
        Ec2Action.CreateRoute, Ec2Action.ReplaceRoute, Ec2Action.DeleteRoute,
        Ec2Action.AssociateRouteTable, Ec2Action.DisassociateRouteTable, Ec2Action.ReplaceRouteTableAssociation,
        Ec2Action.AttachInternetGateway, Ec2Action.DetachInternetGateway,
        Ec2Action.CreateNetworkInterface, Ec2Action.DeleteNetworkInterface,
        Ec2Action.AttachNetworkInterface, Ec2Action.DetachNetworkInterface,
        Ec2Action.AssignPrivateIpAddresses, Ec2Action.UnassignPrivateIpAddresses,
        Ec2Action.CreateSubnet, Ec2Action.DeleteSubnet,
        Ec2Action.CreateNatGateway, Ec2Action.DeleteNatGateway,
        Ec2Action.AssociateNatGatewayAddress, Ec2Action.DisassociateNatGatewayAddress,
        Ec2Action.AssignPrivateNatGatewayAddress, Ec2Action.UnassignPrivateNatGatewayAddress,
        Ec2Action.AcceptVpcPeeringConnection, Ec2Action.RejectVpcPeeringConnection, Ec2Action.DeleteVpcPeeringConnection,
        .. NetworkApiFirewallActions,
        Ec2Action.CreateTransitGatewayVpcAttachment, Ec2Action.ModifyTransitGatewayVpcAttachment, Ec2Action.DeleteTransitGatewayVpcAttachment,
        Ec2Action.AcceptTransitGatewayVpcAttachment, Ec2Action.RejectTransitGatewayVpcAttachment,
        Ec2Action.AcceptTransitGatewayPeeringAttachment, Ec2Action.RejectTransitGatewayPeeringAttachment, Ec2Action.DeleteTransitGatewayPeeringAttachment,
        Ec2Action.CreateTransitGatewayConnect, Ec2Action.DeleteTransitGatewayConnect,
        Ec2Action.CreateTransitGatewayConnectPeer, Ec2Action.DeleteTransitGatewayConnectPeer,
        Ec2Action.AssociateTransitGatewayRouteTable, Ec2Action.DisassociateTransitGatewayRouteTable, Ec2Action.DeleteTransitGatewayRouteTable,
        Ec2Action.EnableTransitGatewayRouteTablePropagation, Ec2Action.DisableTransitGatewayRouteTablePropagation,
        Ec2Action.CreateTransitGatewayRoute, Ec2Action.ReplaceTransitGatewayRoute, Ec2Action.DeleteTransitGatewayRoute,
        Ec2Action.ModifyTransitGateway, Ec2Action.DeleteTransitGateway,
        Ec2Action.AssignIpv6Addresses, Ec2Action.UnassignIpv6Addresses,
        Ec2Action.AssociateSubnetCidrBlock, Ec2Action.DisassociateSubnetCidrBlock,
        Ec2Action.AssociateVpcCidrBlock, Ec2Action.DisassociateVpcCidrBlock,
        Ec2Action.DeleteEgressOnlyInternetGateway, Ec2Action.ModifyInstanceMetadataOptions,
        Ec2Action.CreateFlowLogs, Ec2Action.DeleteFlowLogs,
    ];

    private readonly ServerOptions _options = options;
    private readonly InstanceLifecycle _lifecycle = lifecycle;
    private readonly Spot.SpotController? _spot = spot;
    private readonly Fleets.FleetController? _fleets = fleets;

    /// <summary>Decoded documents of this server's store, shared by read-only Describe paths.</summary>
    private readonly DecodedResources _decoded = decoded ?? new DecodedResources();

    /// <summary>DescribeInstances' shapes of the shared decoded instances, each kept while its decoded document is.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Stratus.Domain.Instances.InstanceResource, KeptInstanceShape> _instanceShapes = new();

    /// <summary>The operations this class overrides, i.e. implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(Ec2Service));

    ServiceInfo IAwsService.Model => Ec2Shapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input)
    {
        if (!context.DryRun && FirewallActions.Contains(Ec2Shapes.ActionOf(context.Operation)))
        {
            context.AfterCommit(() => _lifecycle.SyncFirewallAsync(context.Scope, ct: CancellationToken.None));
        }
        return DispatchAsync(context.Operation, context, input);
    }

    ValueTask IAwsService.BeforeHandlerAsync(RequestContext context) =>
        new(defaultVpcs.EnsureAsync(context.Scope, context.Cancellation));

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);
}
