"""Transit gateway peering, Connect, policy tables and route table announcements, and VPN tunnel
operations through boto3 and the aws CLI: states that settle, filters, tags and AWS's error codes."""


import pytest

from conftest import code_of, until


def _available_tgw(ec2, **options):
    tgw = ec2.create_transit_gateway(Options=options)["TransitGateway"]["TransitGatewayId"]
    until(lambda: ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["State"] == "available", "tgw available")
    return tgw


def _peering(ec2, att):
    return ec2.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[att])["TransitGatewayPeeringAttachments"][0]


@pytest.fixture(scope="module")
def account(ec2):
    return ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["OwnerId"]


def test_peering_attachments_request_accept_reject_delete(ec2, account):
    a = _available_tgw(ec2)
    b = _available_tgw(ec2)
    region = ec2.meta.region_name
    assert code_of(ec2.create_transit_gateway_peering_attachment, TransitGatewayId=a, PeerTransitGatewayId=a,
                   PeerAccountId=account, PeerRegion=region) == "InvalidParameterValue"
    assert code_of(ec2.create_transit_gateway_peering_attachment, TransitGatewayId=a, PeerTransitGatewayId="tgw-0123456789abcdef0",
                   PeerAccountId=account, PeerRegion=region) == "InvalidTransitGatewayID.NotFound"
    # The peer gateway is looked up in the peer account: b is not another account's.
    assert code_of(ec2.create_transit_gateway_peering_attachment, TransitGatewayId=a, PeerTransitGatewayId=b,
                   PeerAccountId="999999999999" if account != "999999999999" else "999999999998", PeerRegion=region) == "InvalidTransitGatewayID.NotFound"
    assert code_of(ec2.create_transit_gateway_peering_attachment, TransitGatewayId=a, PeerTransitGatewayId=b,
                   PeerAccountId="12345", PeerRegion=region) == "InvalidParameterValue"

    created = ec2.create_transit_gateway_peering_attachment(
        TransitGatewayId=a, PeerTransitGatewayId=b, PeerAccountId=account, PeerRegion=region,
        TagSpecifications=[{"ResourceType": "transit-gateway-attachment", "Tags": [{"Key": "Name", "Value": "a-b"}]}])["TransitGatewayPeeringAttachment"]
    att = created["TransitGatewayAttachmentId"]
    assert created["State"] == "initiatingRequest"
    assert created["RequesterTgwInfo"]["TransitGatewayId"] == a and created["AccepterTgwInfo"]["TransitGatewayId"] == b
    assert created["AccepterTgwInfo"]["Region"] == region and created["RequesterTgwInfo"]["OwnerId"] == account
    assert code_of(ec2.create_transit_gateway_peering_attachment, TransitGatewayId=b, PeerTransitGatewayId=a,
                   PeerAccountId=account, PeerRegion=region) == "DuplicateTransitGatewayAttachment"
    until(lambda: _peering(ec2, att)["State"] == "pendingAcceptance", "pendingAcceptance")
    assert _peering(ec2, att)["Status"] == {"Code": "pendingAcceptance", "Message": "Pending Acceptance"}

    # Filters: the gateway on either side, state, tags.
    for tgw in (a, b):
        found = ec2.describe_transit_gateway_peering_attachments(Filters=[{"Name": "transit-gateway-id", "Values": [tgw]}])["TransitGatewayPeeringAttachments"]
        assert [p["TransitGatewayAttachmentId"] for p in found] == [att]
    assert ec2.describe_transit_gateway_peering_attachments(Filters=[{"Name": "tag:Name", "Values": ["a-b"]}])["TransitGatewayPeeringAttachments"][0]["TransitGatewayAttachmentId"] == att
    # It is an attachment of the gateway, not a VPC attachment.
    assert code_of(ec2.describe_transit_gateway_vpc_attachments, TransitGatewayAttachmentIds=[att]) == "InvalidTransitGatewayAttachmentID.NotFound"
    listed = ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[att])["TransitGatewayAttachments"][0]
    assert listed["ResourceType"] == "peering" and listed["ResourceId"] == b

    accepted = ec2.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=att)["TransitGatewayPeeringAttachment"]
    assert accepted["State"] == "pending"
    assert code_of(ec2.accept_transit_gateway_peering_attachment, TransitGatewayAttachmentId=att) == "IncorrectState"
    until(lambda: _peering(ec2, att)["State"] == "available", "available")

    # A second pair: rejected.
    c = _available_tgw(ec2)
    other = ec2.create_transit_gateway_peering_attachment(TransitGatewayId=a, PeerTransitGatewayId=c, PeerAccountId=account,
                                                          PeerRegion=region)["TransitGatewayPeeringAttachment"]["TransitGatewayAttachmentId"]
    until(lambda: _peering(ec2, other)["State"] == "pendingAcceptance", "pendingAcceptance")
    assert ec2.reject_transit_gateway_peering_attachment(TransitGatewayAttachmentId=other)["TransitGatewayPeeringAttachment"]["State"] == "rejecting"
    until(lambda: _peering(ec2, other)["State"] == "rejected", "rejected")

    # Route table announcements over the available peering attachment.
    rtb = ec2.describe_transit_gateways(TransitGatewayIds=[a])["TransitGateways"][0]["Options"]["AssociationDefaultRouteTableId"]
    annc = ec2.create_transit_gateway_route_table_announcement(TransitGatewayRouteTableId=rtb, PeeringAttachmentId=att)["TransitGatewayRouteTableAnnouncement"]
    annc_id = annc["TransitGatewayRouteTableAnnouncementId"]
    assert annc["State"] == "pending" and annc["PeerTransitGatewayId"] == b and annc["AnnouncementDirection"] == "outgoing"
    assert code_of(ec2.create_transit_gateway_route_table_announcement, TransitGatewayRouteTableId=rtb, PeeringAttachmentId=other) == "IncorrectState"
    until(lambda: ec2.describe_transit_gateway_route_table_announcements(TransitGatewayRouteTableAnnouncementIds=[annc_id])
          ["TransitGatewayRouteTableAnnouncements"][0]["State"] == "available", "announcement available")
    by_table = ec2.describe_transit_gateway_route_table_announcements(Filters=[{"Name": "transit-gateway-route-table-id", "Values": [rtb]}])
    assert [x["TransitGatewayRouteTableAnnouncementId"] for x in by_table["TransitGatewayRouteTableAnnouncements"]] == [annc_id]
    # The peering attachment cannot go while an announcement uses it.
    assert code_of(ec2.delete_transit_gateway_peering_attachment, TransitGatewayAttachmentId=att) == "IncorrectState"
    assert ec2.delete_transit_gateway_route_table_announcement(TransitGatewayRouteTableAnnouncementId=annc_id)["TransitGatewayRouteTableAnnouncement"]["State"] == "deleting"
    until(lambda: ec2.describe_transit_gateway_route_table_announcements(TransitGatewayRouteTableAnnouncementIds=[annc_id])
          ["TransitGatewayRouteTableAnnouncements"][0]["State"] == "deleted", "announcement deleted")
    assert code_of(ec2.describe_transit_gateway_route_table_announcements,
                   TransitGatewayRouteTableAnnouncementIds=["tgw-rtb-annc-0123456789abcdef0"]) == "InvalidTransitGatewayRouteTableAnnouncementId.NotFound"

    # Policy tables associate peering attachments.
    ptb = ec2.create_transit_gateway_policy_table(TransitGatewayId=a, TagSpecifications=[
        {"ResourceType": "transit-gateway-policy-table", "Tags": [{"Key": "team", "Value": "net"}]}])["TransitGatewayPolicyTable"]
    ptb_id = ptb["TransitGatewayPolicyTableId"]
    assert ptb_id.startswith("tgw-ptb-") and ptb["State"] == "pending" and ptb["Tags"] == [{"Key": "team", "Value": "net"}]
    assert code_of(ec2.associate_transit_gateway_policy_table, TransitGatewayPolicyTableId=ptb_id, TransitGatewayAttachmentId=att) == "IncorrectState"
    until(lambda: ec2.describe_transit_gateway_policy_tables(TransitGatewayPolicyTableIds=[ptb_id])["TransitGatewayPolicyTables"][0]["State"] == "available", "ptb")
    assoc = ec2.associate_transit_gateway_policy_table(TransitGatewayPolicyTableId=ptb_id, TransitGatewayAttachmentId=att)["Association"]
    assert assoc["State"] == "associating" and assoc["ResourceType"] == "peering" and assoc["ResourceId"] == b
    assert code_of(ec2.associate_transit_gateway_policy_table, TransitGatewayPolicyTableId=ptb_id, TransitGatewayAttachmentId=att) == "Resource.AlreadyAssociated"
    listed = ec2.get_transit_gateway_policy_table_associations(TransitGatewayPolicyTableId=ptb_id)["Associations"]
    assert [(x["TransitGatewayAttachmentId"], x["State"]) for x in listed] == [(att, "associated")]
    assert ec2.get_transit_gateway_policy_table_entries(TransitGatewayPolicyTableId=ptb_id)["TransitGatewayPolicyTableEntries"] == []
    assert code_of(ec2.delete_transit_gateway_policy_table, TransitGatewayPolicyTableId=ptb_id) == "IncorrectState"
    ec2.disassociate_transit_gateway_policy_table(TransitGatewayPolicyTableId=ptb_id, TransitGatewayAttachmentId=att)
    assert code_of(ec2.disassociate_transit_gateway_policy_table, TransitGatewayPolicyTableId=ptb_id, TransitGatewayAttachmentId=att) == "InvalidAssociation.NotFound"
    assert ec2.delete_transit_gateway_policy_table(TransitGatewayPolicyTableId=ptb_id)["TransitGatewayPolicyTable"]["State"] == "deleting"
    assert code_of(ec2.describe_transit_gateway_policy_tables, TransitGatewayPolicyTableIds=["tgw-ptb-0123456789abcdef0"]) == "InvalidTransitGatewayPolicyTableId.NotFound"

    deleted = ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=att)["TransitGatewayPeeringAttachment"]
    assert deleted["State"] == "deleting"
    until(lambda: _peering(ec2, att)["State"] == "deleted", "deleted")


def test_peering_attachments_between_accounts_are_decided_by_the_accepter(ec2, account, server):
    other = server.ec2(credentials=server.create_account("tgw-peer-other"))
    other_account = other.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["OwnerId"]
    assert other_account != account
    mine = _available_tgw(ec2)
    theirs = _available_tgw(other)
    region = ec2.meta.region_name
    att = ec2.create_transit_gateway_peering_attachment(
        TransitGatewayId=mine, PeerTransitGatewayId=theirs, PeerAccountId=other_account, PeerRegion=region)["TransitGatewayPeeringAttachment"]
    assert att["AccepterTgwInfo"]["OwnerId"] == other_account and att["RequesterTgwInfo"]["OwnerId"] == account
    att = att["TransitGatewayAttachmentId"]
    # The other account sees it waiting for its acceptance; the requester cannot accept it.
    assert _peering(other, att)["State"] == "pendingAcceptance"
    until(lambda: _peering(ec2, att)["State"] == "pendingAcceptance", "pendingAcceptance")
    assert code_of(ec2.accept_transit_gateway_peering_attachment, TransitGatewayAttachmentId=att) == "IncorrectState"
    assert other.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=att)["TransitGatewayPeeringAttachment"]["State"] == "pending"
    until(lambda: _peering(ec2, att)["State"] == "available", "available")
    assert _peering(other, att)["State"] == "available"
    other.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=att)
    until(lambda: _peering(ec2, att)["State"] in ("deleting", "deleted"), "deleting")


def test_connect_attachments_and_peers(ec2):
    tgw = ec2.create_transit_gateway(Options={"TransitGatewayCidrBlocks": ["192.0.2.0/24"]})["TransitGateway"]["TransitGatewayId"]
    until(lambda: ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["State"] == "available", "tgw")
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.61.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    transport = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    assert code_of(ec2.create_transit_gateway_connect, TransportTransitGatewayAttachmentId=transport, Options={"Protocol": "gre"}) == "IncorrectState"
    until(lambda: ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[transport])["TransitGatewayVpcAttachments"][0]["State"] == "available", "transport")
    assert code_of(ec2.create_transit_gateway_connect, TransportTransitGatewayAttachmentId=transport, Options={"Protocol": "ipip"}) == "InvalidParameterValue"

    connect = ec2.create_transit_gateway_connect(TransportTransitGatewayAttachmentId=transport, Options={"Protocol": "gre"})["TransitGatewayConnect"]
    att = connect["TransitGatewayAttachmentId"]
    assert connect["State"] == "pending" and connect["TransportTransitGatewayAttachmentId"] == transport and connect["Options"] == {"Protocol": "gre"}
    until(lambda: ec2.describe_transit_gateway_connects(TransitGatewayAttachmentIds=[att])["TransitGatewayConnects"][0]["State"] == "available", "connect")
    found = ec2.describe_transit_gateway_connects(Filters=[{"Name": "transport-transit-gateway-attachment-id", "Values": [transport]}])["TransitGatewayConnects"]
    assert [c["TransitGatewayAttachmentId"] for c in found] == [att]

    assert code_of(ec2.create_transit_gateway_connect_peer, TransitGatewayAttachmentId=att, PeerAddress="10.61.1.10",
                   InsideCidrBlocks=["169.254.6.0/30"]) == "InvalidParameterValue"
    assert code_of(ec2.create_transit_gateway_connect_peer, TransitGatewayAttachmentId=att, PeerAddress="10.61.1.10",
                   InsideCidrBlocks=["169.254.0.0/29"]) == "InvalidParameterValue"
    assert code_of(ec2.create_transit_gateway_connect_peer, TransitGatewayAttachmentId=att, PeerAddress="10.61.1.10", TransitGatewayAddress="198.51.100.1",
                   InsideCidrBlocks=["169.254.6.0/29"]) == "InvalidParameterValue"
    peer = ec2.create_transit_gateway_connect_peer(TransitGatewayAttachmentId=att, PeerAddress="10.61.1.10", InsideCidrBlocks=["169.254.6.0/29"],
                                                   BgpOptions={"PeerAsn": 65010})["TransitGatewayConnectPeer"]
    peer_id = peer["TransitGatewayConnectPeerId"]
    config = peer["ConnectPeerConfiguration"]
    assert peer_id.startswith("tgw-connect-peer-") and peer["State"] == "pending"
    assert config["TransitGatewayAddress"] == "192.0.2.0" and config["Protocol"] == "gre"
    assert [(b["TransitGatewayAddress"], b["PeerAddress"], b["PeerAsn"], b["TransitGatewayAsn"]) for b in config["BgpConfigurations"]] == [
        ("169.254.6.2", "169.254.6.1", 65010, 64512), ("169.254.6.3", "169.254.6.1", 65010, 64512)]
    assert code_of(ec2.delete_transit_gateway_connect, TransitGatewayAttachmentId=att) == "IncorrectState"
    until(lambda: ec2.describe_transit_gateway_connect_peers(TransitGatewayConnectPeerIds=[peer_id])["TransitGatewayConnectPeers"][0]["State"] == "available", "peer")
    assert ec2.describe_transit_gateway_connect_peers(Filters=[{"Name": "transit-gateway-attachment-id", "Values": [att]}])["TransitGatewayConnectPeers"][0]["TransitGatewayConnectPeerId"] == peer_id
    assert ec2.delete_transit_gateway_connect_peer(TransitGatewayConnectPeerId=peer_id)["TransitGatewayConnectPeer"]["State"] == "deleting"
    assert code_of(ec2.delete_transit_gateway_connect_peer, TransitGatewayConnectPeerId="tgw-connect-peer-0123456789abcdef0") == "InvalidTransitGatewayConnectPeerID.NotFound"
    until(lambda: ec2.describe_transit_gateway_connect_peers(TransitGatewayConnectPeerIds=[peer_id])["TransitGatewayConnectPeers"][0]["State"] == "deleted", "peer deleted")
    assert ec2.delete_transit_gateway_connect(TransitGatewayAttachmentId=att)["TransitGatewayConnect"]["State"] == "deleting"
    assert code_of(ec2.delete_transit_gateway_connect, TransitGatewayAttachmentId=transport) == "InvalidParameterValue"


@pytest.fixture(scope="module")
def vpn(ec2):
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.77", BgpAsn=65077)["CustomerGateway"]["CustomerGatewayId"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.get_waiter("customer_gateway_available").wait(CustomerGatewayIds=[cgw], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    until(lambda: ec2.describe_vpn_gateways(VpnGatewayIds=[vgw])["VpnGateways"][0]["State"] == "available", "vgw available")
    conn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw)["VpnConnection"]["VpnConnectionId"]
    ec2.get_waiter("vpn_connection_available").wait(VpnConnectionIds=[conn], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return conn


def _connection(ec2, conn):
    return ec2.describe_vpn_connections(VpnConnectionIds=[conn])["VpnConnections"][0]


def test_vpn_tunnel_options_replacement_and_status(ec2, vpn):
    tunnels = _connection(ec2, vpn)["Options"]["TunnelOptions"]
    outside = tunnels[0]["OutsideIpAddress"]
    assert code_of(ec2.modify_vpn_tunnel_options, VpnConnectionId=vpn, VpnTunnelOutsideIpAddress="192.0.2.200",
                   TunnelOptions={"StartupAction": "start"}) == "InvalidParameterValue"
    assert code_of(ec2.modify_vpn_tunnel_options, VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside,
                   TunnelOptions={"Phase1LifetimeSeconds": 100}) == "InvalidParameterValue"
    assert code_of(ec2.modify_vpn_tunnel_options, VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside,
                   TunnelOptions={"TunnelInsideCidr": tunnels[1]["TunnelInsideCidr"]}) == "InvalidParameterValue"
    assert code_of(ec2.modify_vpn_tunnel_options, VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside,
                   TunnelOptions={"Phase1DHGroupNumbers": [{"Value": 7}]}) == "InvalidParameterValue"
    modified = ec2.modify_vpn_tunnel_options(VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside, TunnelOptions={
        "PreSharedKey": "new_key.12345678", "TunnelInsideCidr": "169.254.77.0/30", "Phase1LifetimeSeconds": 14400,
        "IKEVersions": [{"Value": "ikev2"}], "Phase1EncryptionAlgorithms": [{"Value": "AES256"}],
        "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}], "Phase1DHGroupNumbers": [{"Value": 14}],
        "StartupAction": "start", "DPDTimeoutAction": "restart"})["VpnConnection"]
    assert modified["State"] == "modifying"
    tunnel = next(t for t in modified["Options"]["TunnelOptions"] if t["OutsideIpAddress"] == outside)
    assert tunnel["PreSharedKey"] == "new_key.12345678" and tunnel["TunnelInsideCidr"] == "169.254.77.0/30"
    assert tunnel["Phase1EncryptionAlgorithms"] == [{"Value": "AES256"}] and tunnel["StartupAction"] == "start"
    assert code_of(ec2.modify_vpn_tunnel_options, VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside,
                   TunnelOptions={"StartupAction": "add"}) == "IncorrectState"
    until(lambda: _connection(ec2, vpn)["State"] == "available", "available")
    assert "169.254.77.2" in _connection(ec2, vpn)["CustomerGatewayConfiguration"]

    status = ec2.get_active_vpn_tunnel_status(VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside)["ActiveVpnTunnelStatus"]
    assert (status["IkeVersion"], status["Phase1EncryptionAlgorithm"], status["Phase1IntegrityAlgorithm"], status["Phase1DHGroup"]) == ("ikev2", "AES256", "SHA2-256", 14)
    assert status["ProvisioningStatus"] == "available"

    assert ec2.replace_vpn_tunnel(VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside)["Return"] is True
    replacement = ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside)
    assert replacement["VpnConnectionId"] == vpn and replacement["VpnTunnelOutsideIpAddress"] == outside
    assert replacement["MaintenanceDetails"]["PendingMaintenance"] == "None" and "LastMaintenanceApplied" in replacement["MaintenanceDetails"]

    # Pre-shared-key tunnels have no certificate to rotate.
    assert code_of(ec2.modify_vpn_tunnel_certificate, VpnConnectionId=vpn, VpnTunnelOutsideIpAddress=outside) == "InvalidParameterValue"

    assert code_of(ec2.modify_vpn_connection_options, VpnConnectionId=vpn, TunnelBandwidth="large") == "InvalidParameterValue"
    assert code_of(ec2.modify_vpn_connection_options, VpnConnectionId=vpn, LocalIpv4NetworkCidr="10.0.0.0/33") == "InvalidParameterValue"
    options = ec2.modify_vpn_connection_options(VpnConnectionId=vpn, LocalIpv4NetworkCidr="10.0.0.0/16", RemoteIpv4NetworkCidr="172.16.0.0/12")["VpnConnection"]
    assert options["Options"]["LocalIpv4NetworkCidr"] == "10.0.0.0/16" and options["Options"]["RemoteIpv4NetworkCidr"] == "172.16.0.0/12"
    until(lambda: _connection(ec2, vpn)["State"] == "available", "available")


def test_vpn_device_types_and_sample_configurations(ec2, vpn, server):
    types = ec2.get_vpn_connection_device_types()["VpnConnectionDeviceTypes"]
    by_vendor = {t["Vendor"]: t for t in types}
    assert {"Generic", "Strongswan", "Cisco Systems, Inc."} <= set(by_vendor)
    assert code_of(ec2.get_vpn_connection_device_sample_configuration, VpnConnectionId=vpn, VpnConnectionDeviceTypeId="ffffffff") == "InvalidParameterValue"

    connection = _connection(ec2, vpn)
    keys = [t["PreSharedKey"] for t in connection["Options"]["TunnelOptions"]]
    outside = [t["OutsideIpAddress"] for t in connection["Options"]["TunnelOptions"]]
    swan = ec2.get_vpn_connection_device_sample_configuration(
        VpnConnectionId=vpn, VpnConnectionDeviceTypeId=by_vendor["Strongswan"]["VpnConnectionDeviceTypeId"],
        InternetKeyExchangeVersion="ikev2")["VpnConnectionDeviceSampleConfiguration"]
    assert "conn Tunnel1" in swan and "conn Tunnel2" in swan and "keyexchange=ikev2" in swan
    for key, ip in zip(keys, outside):
        assert f'198.51.100.77 {ip} : PSK "{key}"' in swan

    # The aws CLI: a vendor-agnostic sample.
    generic = by_vendor["Generic"]["VpnConnectionDeviceTypeId"]
    out = server.cli_json("--profile", "stratus", "ec2", "get-vpn-connection-device-sample-configuration", "--vpn-connection-id", vpn,
                          "--vpn-connection-device-type-id", generic)
    text = out["VpnConnectionDeviceSampleConfiguration"]
    assert "Pre-Shared Key           : " + keys[0] in text and "Border Gateway Protocol" in text and "65077" in text
