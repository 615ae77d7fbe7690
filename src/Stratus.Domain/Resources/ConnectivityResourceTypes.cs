namespace Stratus.Domain.Resources;

/// <summary>Transit gateways, site-to-site VPN, VPC endpoints and carrier gateways.</summary>
public static partial class ResourceTypes
{
    public static readonly ResourceType TransitGateway = new("transit-gateway", "tgw", "InvalidTransitGatewayID.NotFound", "InvalidTransitGatewayID.Malformed", "Transit Gateway {0} was deleted or does not exist.");
    public static readonly ResourceType TransitGatewayAttachment = new("transit-gateway-attachment", "tgw-attach", "InvalidTransitGatewayAttachmentID.NotFound", "InvalidTransitGatewayAttachmentID.Malformed", "Transit Gateway Attachment {0} was deleted or does not exist.");
    public static readonly ResourceType TransitGatewayRouteTable = new("transit-gateway-route-table", "tgw-rtb", "InvalidRouteTableID.NotFound", "InvalidRouteTableId.Malformed", "Transit Gateway Route Table {0} was deleted or does not exist.");
    public static readonly ResourceType TransitGatewayConnectPeer = new("transit-gateway-connect-peer", "tgw-connect-peer", "InvalidTransitGatewayConnectPeerID.NotFound", "InvalidTransitGatewayConnectPeerID.Malformed", "Transit Gateway Connect Peer {0} was deleted or does not exist.");
    public static readonly ResourceType TransitGatewayPolicyTable = new("transit-gateway-policy-table", "tgw-ptb", "InvalidTransitGatewayPolicyTableId.NotFound", "InvalidTransitGatewayPolicyTableId.Malformed", "Transit Gateway Policy Table {0} was deleted or does not exist.");
    public static readonly ResourceType TransitGatewayRouteTableAnnouncement = new("transit-gateway-route-table-announcement", "tgw-rtb-annc", "InvalidTransitGatewayRouteTableAnnouncementId.NotFound", "InvalidTransitGatewayRouteTableAnnouncementId.Malformed", "Transit Gateway Route Table Announcement {0} was deleted or does not exist.");
    public static readonly ResourceType CustomerGateway = new("customer-gateway", "cgw", "InvalidCustomerGatewayID.NotFound", "InvalidCustomerGatewayId.Malformed", "The customerGateway ID '{0}' does not exist");
    public static readonly ResourceType VpnGateway = new("vpn-gateway", "vgw", "InvalidVpnGatewayID.NotFound", "InvalidVpnGatewayId.Malformed", "The vpnGateway ID '{0}' does not exist");
    public static readonly ResourceType VpnConnection = new("vpn-connection", "vpn", "InvalidVpnConnectionID.NotFound", "InvalidVpnConnectionID.Malformed", "The vpnConnection ID '{0}' does not exist");
    public static readonly ResourceType VpcEndpoint = new("vpc-endpoint", "vpce", "InvalidVpcEndpointId.NotFound", "InvalidVpcEndpointId.Malformed", "The Vpc Endpoint Id '{0}' does not exist");
    public static readonly ResourceType CarrierGateway = new("carrier-gateway", "cagw", "InvalidCarrierGatewayID.NotFound", "InvalidCarrierGatewayId.Malformed", "The carrierGateway ID '{0}' does not exist");

    private static ResourceType[] ConnectivityTaggable =>
    [
        TransitGateway, TransitGatewayAttachment, TransitGatewayRouteTable, TransitGatewayConnectPeer, TransitGatewayPolicyTable, TransitGatewayRouteTableAnnouncement, CustomerGateway, VpnGateway, VpnConnection, VpcEndpoint, CarrierGateway,
    ];
}
