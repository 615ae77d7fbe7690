"""Security groups and their rules: the aws CLI lab sequence, boto3's IpPermissions forms, rule ids
and tags, descriptions, filters, the waiter and every error path with AWS's codes."""

import itertools
import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import code_of, default_vpc, error_of, tags_dict

SG_RE = re.compile(r"^sg-[0-9a-f]{17}$")
SGR_RE = re.compile(r"^sgr-[0-9a-f]{17}$")
_counter = itertools.count()


def new_group(client, prefix="sg-test", **kw):
    name = f"{prefix.replace('sg-', 'grp-')}-{next(_counter)}"
    gid = client.create_security_group(GroupName=name, Description=f"{name} group", **kw)["GroupId"]
    return gid, name


def group(client, gid):
    return client.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]


def rules_of(client, gid, egress=None):
    rules = client.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    return [r for r in rules if egress is None or r["IsEgress"] == egress]


def tcp(port, *cidrs, to=None):
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": to if to is not None else port,
            "IpRanges": [{"CidrIp": c} for c in cidrs]}


# ---- the aws CLI lab sequence ----------------------------------------------------------------

def aws(server, *args):
    return server.cli("--profile", "stratus", "ec2", *args)


def test_cli_lab_sequence(server):
    out = aws(server, "create-security-group", "--group-name", "MySecurityGroup", "--description", "My security group",
              "--output", "json")
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert SG_RE.match(created["GroupId"])
    assert created["SecurityGroupArn"].endswith(":security-group/" + created["GroupId"])
    for port in ("22", "80", "443"):
        p = aws(server, "authorize-security-group-ingress", "--group-name", "MySecurityGroup", "--protocol", "tcp",
                "--port", port, "--cidr", "0.0.0.0/0", "--output", "json")
        assert p.returncode == 0, p.stderr
        rule = json.loads(p.stdout)["SecurityGroupRules"][0]
        assert rule["FromPort"] == rule["ToPort"] == int(port) and rule["CidrIpv4"] == "0.0.0.0/0"
    p = aws(server, "describe-security-groups", "--group-names", "MySecurityGroup",
            "--query", "SecurityGroups[0].IpPermissions[].FromPort", "--output", "json")
    assert p.returncode == 0, p.stderr
    assert sorted(json.loads(p.stdout)) == [22, 80, 443]
    p = aws(server, "describe-security-groups", "--group-names", "MySecurityGroup",
            "--query", "SecurityGroups[0].IpPermissions[?FromPort==`22`].IpRanges[].CidrIp", "--output", "text")
    assert p.stdout.split() == ["0.0.0.0/0"]
    p = aws(server, "revoke-security-group-ingress", "--group-name", "MySecurityGroup", "--protocol", "tcp",
            "--port", "80", "--cidr", "0.0.0.0/0", "--output", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Return"] is True
    p = aws(server, "describe-security-groups", "--group-ids", created["GroupId"],
            "--query", "SecurityGroups[0].IpPermissions[].FromPort", "--output", "json")
    assert sorted(json.loads(p.stdout)) == [22, 443]
    p = aws(server, "delete-security-group", "--group-name", "MySecurityGroup", "--output", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"Return": True, "GroupId": created["GroupId"]}
    p = aws(server, "describe-security-groups", "--group-names", "MySecurityGroup")
    assert p.returncode != 0 and "InvalidGroup.NotFound" in p.stderr


def test_cli_source_group_and_errors(server, ec2):
    gid, name = new_group(ec2)
    src, src_name = new_group(ec2)
    p = aws(server, "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "5432",
            "--source-group", src, "--output", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["SecurityGroupRules"][0]["ReferencedGroupInfo"]["GroupId"] == src
    p = aws(server, "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "5432",
            "--source-group", src)
    assert p.returncode != 0 and "InvalidPermission.Duplicate" in p.stderr
    p = aws(server, "delete-security-group", "--group-id", src)
    assert p.returncode != 0 and "DependencyViolation" in p.stderr


# ---- create ----------------------------------------------------------------------------------

def test_create_defaults_arn_tags_and_waiter(ec2):
    vpc = default_vpc(ec2)
    resp = ec2.create_security_group(GroupName="web-tier", Description="Web tier: ports 80/443 (public)",
                                     TagSpecifications=[{"ResourceType": "security-group",
                                                         "Tags": [{"Key": "Name", "Value": "web"}]}])
    gid = resp["GroupId"]
    assert SG_RE.match(gid)
    assert resp["SecurityGroupArn"] == f"arn:aws:ec2:us-east-1:{vpc['OwnerId']}:security-group/{gid}"
    assert tags_dict(resp) == {"Name": "web"}
    ec2.get_waiter("security_group_exists").wait(GroupIds=[gid], WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    sg = group(ec2, gid)
    assert sg["GroupName"] == "web-tier" and sg["VpcId"] == vpc["VpcId"] and sg["OwnerId"] == vpc["OwnerId"]
    assert sg["Description"] == "Web tier: ports 80/443 (public)"
    assert sg["IpPermissions"] == []
    assert sg["IpPermissionsEgress"] == [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                                          "PrefixListIds": [], "UserIdGroupPairs": []}]
    assert tags_dict(sg) == {"Name": "web"}
    (egress,) = rules_of(ec2, gid)
    assert SGR_RE.match(egress["SecurityGroupRuleId"])
    assert egress["IsEgress"] is True and egress["IpProtocol"] == "-1"
    assert egress["FromPort"] == -1 and egress["ToPort"] == -1 and egress["CidrIpv4"] == "0.0.0.0/0"
    assert egress["GroupOwnerId"] == vpc["OwnerId"]
    # the explicit default VPC works too
    gid2, _ = new_group(ec2, VpcId=vpc["VpcId"])
    assert group(ec2, gid2)["VpcId"] == vpc["VpcId"]


def test_create_errors(ec2):
    vpc = default_vpc(ec2)
    ec2.create_security_group(GroupName="Dup-Name", Description="d")
    create = ec2.create_security_group
    assert code_of(create, GroupName="Dup-Name", Description="d") == "InvalidGroup.Duplicate"
    assert code_of(create, GroupName="dup-name", Description="d", VpcId=vpc["VpcId"]) == "InvalidGroup.Duplicate"
    assert code_of(create, GroupName="default", Description="d") == "InvalidGroup.Duplicate"
    assert code_of(create, GroupName="sg-12345", Description="d") == "InvalidParameterValue"
    assert code_of(create, GroupName="x" * 256, Description="d") == "InvalidParameterValue"
    assert code_of(create, GroupName="bad|name", Description="d") == "InvalidParameterValue"
    assert code_of(create, GroupName="ok-name", Description="tab\tin description") == "InvalidParameterValue"
    assert code_of(create, GroupName="ok-name", Description="d", VpcId="vpc-nope") == "InvalidVpcID.Malformed"
    assert code_of(create, GroupName="ok-name", Description="d", VpcId="vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"
    assert code_of(create, GroupName="ok-name", Description="d",
                   TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]) == "InvalidParameterValue"
    assert code_of(create, GroupName="ok-name", Description="d", DryRun=True) == "DryRunOperation"
    assert ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["ok-name"]}])["SecurityGroups"] == []
    # x * 255 is the longest name allowed
    ec2.create_security_group(GroupName="x" * 255, Description="y" * 255)


# ---- authorize -------------------------------------------------------------------------------

def test_authorize_ip_permissions_all_peer_kinds(ec2):
    gid, _ = new_group(ec2)
    src, src_name = new_group(ec2)
    pl = ec2.create_managed_prefix_list(PrefixListName="s3-like", MaxEntries=2, AddressFamily="IPv4",
                                        Entries=[{"Cidr": "52.216.0.0/15"}])["PrefixList"]["PrefixListId"]
    resp = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "office"}, {"CidrIp": "192.168.1.7/24"}],
         "Ipv6Ranges": [{"CidrIpv6": "2001:DB8::1/32", "Description": "v6 office"}],
         "PrefixListIds": [{"PrefixListId": pl, "Description": "s3"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": src, "Description": "app servers"}]},
        {"IpProtocol": "6", "FromPort": 8000, "ToPort": 8080, "UserIdGroupPairs": [{"GroupName": src_name}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "icmpv6", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "50", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "172.16.0.0/12"}]},
    ])
    assert resp["Return"] is True
    rules = resp["SecurityGroupRules"]
    assert len(rules) == 9
    owner = default_vpc(ec2)["OwnerId"]
    for r in rules:
        assert SGR_RE.match(r["SecurityGroupRuleId"]) and r["GroupId"] == gid and r["GroupOwnerId"] == owner
        assert r["IsEgress"] is False
    by_peer = {r.get("CidrIpv4") or r.get("CidrIpv6") or r.get("PrefixListId") or
               (r["IpProtocol"], r["ReferencedGroupInfo"]["GroupId"]): r for r in rules}
    assert "192.168.1.0/24" in by_peer  # canonicalised
    assert by_peer["10.0.0.0/8"]["Description"] == "office"
    assert by_peer["2001:db8::/32"]["Description"] == "v6 office"
    assert by_peer[pl]["Description"] == "s3"
    assert by_peer[("-1", src)]["ReferencedGroupInfo"] == {"GroupId": src, "UserId": owner}
    assert by_peer[("-1", src)]["FromPort"] == -1
    assert by_peer[("tcp", src)]["FromPort"] == 8000 and by_peer[("tcp", src)]["ToPort"] == 8080
    assert by_peer["0.0.0.0/0"]["IpProtocol"] == "icmp" and by_peer["0.0.0.0/0"]["FromPort"] == 8
    assert by_peer["::/0"]["IpProtocol"] == "icmpv6"
    assert by_peer["172.16.0.0/12"]["IpProtocol"] == "50" and by_peer["172.16.0.0/12"]["FromPort"] == -1

    perms = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")): p for p in group(ec2, gid)["IpPermissions"]}
    assert set(perms) == {("tcp", 22, 22), ("-1", None, None), ("tcp", 8000, 8080), ("icmp", 8, 0),
                          ("icmpv6", -1, -1), ("50", None, None)}
    ssh = perms[("tcp", 22, 22)]
    assert sorted(r["CidrIp"] for r in ssh["IpRanges"]) == ["10.0.0.0/8", "192.168.1.0/24"]
    assert ssh["Ipv6Ranges"] == [{"CidrIpv6": "2001:db8::/32", "Description": "v6 office"}]
    assert ssh["PrefixListIds"] == [{"PrefixListId": pl, "Description": "s3"}]
    assert perms[("-1", None, None)]["UserIdGroupPairs"] == [{"GroupId": src, "UserId": owner, "Description": "app servers"}]

    # the same rule again, even in non-canonical form, is a duplicate
    assert code_of(ec2.authorize_security_group_ingress, GroupId=gid,
                   IpPermissions=[tcp(22, "192.168.1.99/24")]) == "InvalidPermission.Duplicate"
    with pytest.raises(ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert error_of(e)[1] == 'the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists'
    # a duplicate anywhere in the request adds nothing
    assert code_of(ec2.authorize_security_group_ingress, GroupId=gid,
                   IpPermissions=[tcp(23, "1.1.1.1/32"), tcp(22, "10.0.0.0/8")]) == "InvalidPermission.Duplicate"
    assert not [r for r in rules_of(ec2, gid, False) if r.get("FromPort") == 23]


def test_authorize_classic_forms(ec2):
    gid, name = new_group(ec2)
    src, src_name = new_group(ec2)
    r = ec2.authorize_security_group_ingress(GroupName=name, IpProtocol="udp", FromPort=53, ToPort=53, CidrIp="10.1.0.0/16")
    assert r["SecurityGroupRules"][0]["IpProtocol"] == "udp"
    # a source group alone: all ICMP, TCP and UDP from it
    r = ec2.authorize_security_group_ingress(GroupId=gid, SourceSecurityGroupName=src_name)
    got = sorted((x["IpProtocol"], x["FromPort"], x["ToPort"]) for x in r["SecurityGroupRules"])
    assert got == [("icmp", -1, -1), ("tcp", 0, 65535), ("udp", 0, 65535)]
    assert all(x["ReferencedGroupInfo"]["GroupId"] == src for x in r["SecurityGroupRules"])
    # tcp -1/-1 means every port
    r = ec2.authorize_security_group_ingress(GroupId=gid, IpProtocol="tcp", FromPort=-1, ToPort=-1, CidrIp="10.9.0.0/16")
    assert (r["SecurityGroupRules"][0]["FromPort"], r["SecurityGroupRules"][0]["ToPort"]) == (0, 65535)
    assert code_of(ec2.authorize_security_group_ingress, GroupId=gid, IpProtocol="tcp", FromPort=1, ToPort=2,
                   CidrIp="10.2.0.0/16", IpPermissions=[tcp(3, "10.3.0.0/16")]) == "InvalidParameterCombination"
    assert code_of(ec2.authorize_security_group_ingress, GroupId=gid, SourceSecurityGroupName=src_name,
                   CidrIp="10.2.0.0/16") == "InvalidParameterCombination"
    r = ec2.revoke_security_group_ingress(GroupId=gid, SourceSecurityGroupName=src_name)
    assert r["Return"] is True and len(r["RevokedSecurityGroupRules"]) == 3
    assert len(rules_of(ec2, gid, False)) == 2


def test_authorize_errors(ec2):
    gid, _ = new_group(ec2)
    auth = ec2.authorize_security_group_ingress

    def perm(**p):
        return code_of(auth, GroupId=gid, IpPermissions=[p])

    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, IpRanges=[{"CidrIp": "10.0.0.0/33"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, IpRanges=[{"CidrIp": "10.0.0"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, IpRanges=[{"CidrIp": "300.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, IpRanges=[{"CidrIp": "::/0"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, Ipv6Ranges=[{"CidrIpv6": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcpx", FromPort=22, ToPort=22, IpRanges=[{"CidrIp": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="256", IpRanges=[{"CidrIp": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", IpRanges=[{"CidrIp": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=90, ToPort=80, IpRanges=[{"CidrIp": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=0, ToPort=65536, IpRanges=[{"CidrIp": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="icmp", FromPort=-1, ToPort=3, IpRanges=[{"CidrIp": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="icmp", FromPort=300, ToPort=0, IpRanges=[{"CidrIp": "10.0.0.0/8"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22) == "MissingParameter"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22,
                IpRanges=[{"CidrIp": "10.0.0.0/8", "Description": "bad\u00e9"}]) == "InvalidParameterValue"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, PrefixListIds=[{"PrefixListId": "pl-xyz"}]) == "InvalidPrefixListId.Malformed"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22,
                UserIdGroupPairs=[{"GroupId": "sg-0123456789abcdef0"}]) == "InvalidGroup.NotFound"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, UserIdGroupPairs=[{"GroupId": "sg-bad"}]) == "InvalidGroupId.Malformed"
    assert perm(IpProtocol="tcp", FromPort=22, ToPort=22, UserIdGroupPairs=[{"GroupName": "no-such-group"}]) == "InvalidGroup.NotFound"
    assert code_of(auth, GroupId="sg-0123456789abcdef0", IpPermissions=[tcp(22, "10.0.0.0/8")]) == "InvalidGroup.NotFound"
    assert code_of(auth, GroupId="sg-123", IpPermissions=[tcp(22, "10.0.0.0/8")]) == "InvalidGroupId.Malformed"
    assert code_of(auth, GroupName="no-such-group", IpPermissions=[tcp(22, "10.0.0.0/8")]) == "InvalidGroup.NotFound"
    assert code_of(auth, IpPermissions=[tcp(22, "10.0.0.0/8")]) == "MissingParameter"
    assert code_of(auth, GroupId=gid) == "MissingParameter"
    assert code_of(auth, GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")],
                   TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "a", "Value": "b"}]}]) == "InvalidParameterValue"
    assert code_of(auth, GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")], DryRun=True) == "DryRunOperation"
    assert rules_of(ec2, gid, False) == []


def test_rule_limit_per_direction(ec2):
    gid, _ = new_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(1000 + i, "10.0.0.0/8") for i in range(60)])
    assert code_of(ec2.authorize_security_group_ingress, GroupId=gid,
                   IpPermissions=[tcp(2000, "10.0.0.0/8")]) == "RulesPerSecurityGroupLimitExceeded"
    # egress has its own 60 (one already: the default allow-all)
    ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[tcp(1000 + i, "10.0.0.0/8") for i in range(59)])
    assert code_of(ec2.authorize_security_group_egress, GroupId=gid,
                   IpPermissions=[tcp(2000, "10.0.0.0/8")]) == "RulesPerSecurityGroupLimitExceeded"
    assert len(rules_of(ec2, gid, True)) == 60 and len(rules_of(ec2, gid, False)) == 60


# ---- egress ----------------------------------------------------------------------------------

def test_egress_authorize_and_revoke(ec2):
    gid, _ = new_group(ec2)
    (default_out,) = rules_of(ec2, gid, True)
    r = ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert r["Return"] is True
    assert [x["SecurityGroupRuleId"] for x in r["RevokedSecurityGroupRules"]] == [default_out["SecurityGroupRuleId"]]
    assert group(ec2, gid)["IpPermissionsEgress"] == []
    r = ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[tcp(443, "0.0.0.0/0")])
    (rule,) = r["SecurityGroupRules"]
    assert rule["IsEgress"] is True
    assert code_of(ec2.authorize_security_group_egress, GroupId=gid, IpPermissions=[tcp(443, "0.0.0.0/0")]) == "InvalidPermission.Duplicate"
    # an egress rule id is not an ingress rule
    assert code_of(ec2.revoke_security_group_ingress, GroupId=gid,
                   SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]]) == "InvalidSecurityGroupRuleId.NotFound"
    r = ec2.revoke_security_group_egress(GroupId=gid, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    assert r["Return"] is True and r["RevokedSecurityGroupRules"][0]["IsEgress"] is True
    assert rules_of(ec2, gid) == []
    assert code_of(ec2.authorize_security_group_egress, GroupId="sg-0123456789abcdef0",
                   IpPermissions=[tcp(443, "0.0.0.0/0")]) == "InvalidGroup.NotFound"


# ---- revoke ----------------------------------------------------------------------------------

def test_revoke_by_content_ids_and_unknown(ec2):
    gid, name = new_group(ec2)
    added = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        tcp(22, "10.0.0.0/8", "11.0.0.0/8"), tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0")])["SecurityGroupRules"]
    ids = {(r["FromPort"], r["CidrIpv4"]): r["SecurityGroupRuleId"] for r in added}
    # by content: one CIDR of a permission; a description need not be given
    r = ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "11.0.0.0/8")])
    assert r["Return"] is True and "UnknownIpPermissions" not in r
    assert [x["SecurityGroupRuleId"] for x in r["RevokedSecurityGroupRules"]] == [ids[(22, "11.0.0.0/8")]]
    # by id
    r = ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=[ids[(80, "0.0.0.0/0")]])
    assert r["RevokedSecurityGroupRules"][0]["FromPort"] == 80
    # a rule that is not there (default VPC): no error, reported back, nothing else revoked
    r = ec2.revoke_security_group_ingress(GroupName=name, IpPermissions=[tcp(8080, "0.0.0.0/0")])
    assert r["Return"] is False
    assert r["UnknownIpPermissions"] == [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
                                          "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                                          "PrefixListIds": [], "UserIdGroupPairs": []}]
    # ports must match exactly
    r = ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[tcp(440, "0.0.0.0/0", to=450)])
    assert r["Return"] is False
    assert sorted((x["FromPort"], x["CidrIpv4"]) for x in rules_of(ec2, gid, False)) == [(22, "10.0.0.0/8"), (443, "0.0.0.0/0")]
    revoke = ec2.revoke_security_group_ingress
    assert code_of(revoke, GroupId=gid, SecurityGroupRuleIds=["sgr-nope"]) == "InvalidSecurityGroupRuleId.Malformed"
    assert code_of(revoke, GroupId=gid, SecurityGroupRuleIds=["sgr-0123456789abcdef0"]) == "InvalidSecurityGroupRuleId.NotFound"
    assert code_of(revoke, GroupId=gid, SecurityGroupRuleIds=[ids[(80, "0.0.0.0/0")]]) == "InvalidSecurityGroupRuleId.NotFound"
    assert code_of(revoke, GroupId=gid) == "MissingParameter"
    assert code_of(revoke, GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/33")]) == "InvalidParameterValue"
    assert code_of(revoke, GroupId="sg-0123456789abcdef0", IpPermissions=[tcp(22, "10.0.0.0/8")]) == "InvalidGroup.NotFound"
    assert code_of(revoke, GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")], DryRun=True) == "DryRunOperation"
    assert len(rules_of(ec2, gid, False)) == 2


# ---- rules: describe, tags, modify, descriptions ---------------------------------------------

def test_describe_rules_filters_paging_and_tags(ec2):
    gid, _ = new_group(ec2)
    r = ec2.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [{"Key": "team", "Value": "net"}]}])
    ssh, http = r["SecurityGroupRules"]
    assert tags_dict(ssh) == {"team": "net"}
    ec2.create_tags(Resources=[http["SecurityGroupRuleId"]], Tags=[{"Key": "Name", "Value": "http"}])
    got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[http["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert len(got) == 1 and tags_dict(got[0]) == {"team": "net", "Name": "http"}
    assert got[0]["SecurityGroupRuleArn"].endswith(":security-group-rule/" + http["SecurityGroupRuleId"])
    tagged = ec2.describe_security_group_rules(Filters=[{"Name": "tag:Name", "Values": ["http"]}])["SecurityGroupRules"]
    assert [x["SecurityGroupRuleId"] for x in tagged] == [http["SecurityGroupRuleId"]]
    by_id = ec2.describe_security_group_rules(Filters=[{"Name": "security-group-rule-id", "Values": [ssh["SecurityGroupRuleId"]]}])
    assert [x["FromPort"] for x in by_id["SecurityGroupRules"]] == [22]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["security-group-rule"]},
                                      {"Name": "resource-id", "Values": [http["SecurityGroupRuleId"]]}])["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Name", "http"), ("team", "net")]
    assert [t["ResourceId"] for t in ec2.describe_tags(Filters=[{"Name": "tag:Name", "Values": ["http"]},
                                                                {"Name": "key", "Values": ["team"]}])["Tags"]] == [http["SecurityGroupRuleId"]]
    ec2.delete_tags(Resources=[http["SecurityGroupRuleId"]], Tags=[{"Key": "Name"}])
    assert ec2.describe_security_group_rules(Filters=[{"Name": "tag:Name", "Values": ["http"]}])["SecurityGroupRules"] == []
    # paging
    pages = ec2.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": [gid]}], PaginationConfig={"PageSize": 5})
    assert sorted(x["IsEgress"] for p in pages for x in p["SecurityGroupRules"]) == [False, False, True]
    d = ec2.describe_security_group_rules
    assert code_of(d, SecurityGroupRuleIds=["sgr-xyz"]) == "InvalidSecurityGroupRuleId.Malformed"
    assert code_of(d, SecurityGroupRuleIds=["sgr-0123456789abcdef0"]) == "InvalidSecurityGroupRuleId.NotFound"
    assert code_of(d, Filters=[{"Name": "ip-protocol", "Values": ["tcp"]}]) == "InvalidParameterValue"
    assert code_of(ec2.create_tags, Resources=["sgr-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}]) == "InvalidSecurityGroupRuleId.NotFound"


def test_modify_rules(ec2):
    gid, _ = new_group(ec2)
    other, _ = new_group(ec2)
    ssh, http = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")])["SecurityGroupRules"]
    ec2.create_tags(Resources=[ssh["SecurityGroupRuleId"]], Tags=[{"Key": "k", "Value": "v"}])
    assert ec2.modify_security_group_rules(GroupId=gid, SecurityGroupRules=[{
        "SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIpv4": "192.168.0.0/16",
                              "Description": "moved"}}])["Return"] is True
    (got,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[ssh["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert (got["FromPort"], got["CidrIpv4"], got["Description"], tags_dict(got)) == (2222, "192.168.0.0/16", "moved", {"k": "v"})
    ec2.modify_security_group_rules(GroupId=gid, SecurityGroupRules=[{
        "SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
        "SecurityGroupRule": {"IpProtocol": "-1", "ReferencedGroupId": other}}])
    (got,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[ssh["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert got["ReferencedGroupInfo"]["GroupId"] == other and "CidrIpv4" not in got and "Description" not in got
    m = ec2.modify_security_group_rules
    same_as_http = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv4": "10.0.0.0/8"}
    assert code_of(m, GroupId=gid, SecurityGroupRules=[{"SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
                                                          "SecurityGroupRule": same_as_http}]) == "InvalidPermission.Duplicate"
    assert code_of(m, GroupId=other, SecurityGroupRules=[{"SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
                                                            "SecurityGroupRule": same_as_http}]) == "InvalidSecurityGroupRuleId.NotFound"
    assert code_of(m, GroupId=gid, SecurityGroupRules=[{"SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
                                                          "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                                                                "CidrIpv4": "1.0.0.0/8", "CidrIpv6": "::/0"}}]) == "InvalidParameterValue"
    assert code_of(m, GroupId=gid, SecurityGroupRules=[{"SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
                                                          "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                                                                "CidrIpv4": "1.0.0.0/88"}}]) == "InvalidParameterValue"
    # other's rules referencing... nothing: other is now referenced by gid
    assert code_of(ec2.delete_security_group, GroupId=other) == "DependencyViolation"


def test_update_rule_descriptions(ec2):
    gid, name = new_group(ec2)
    (rule,) = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")])["SecurityGroupRules"]
    (out,) = rules_of(ec2, gid, True)
    ec2.update_security_group_rule_descriptions_ingress(GroupName=name, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "SSH from VPN"}]}])
    assert group(ec2, gid)["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "10.0.0.0/8", "Description": "SSH from VPN"}]
    ec2.update_security_group_rule_descriptions_ingress(GroupId=gid, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": rule["SecurityGroupRuleId"], "Description": "by id"}])
    assert rules_of(ec2, gid, False)[0]["Description"] == "by id"
    ec2.update_security_group_rule_descriptions_egress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "all out"}]}])
    assert rules_of(ec2, gid, True)[0]["Description"] == "all out"
    # without a description it is removed
    ec2.update_security_group_rule_descriptions_egress(GroupId=gid, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": out["SecurityGroupRuleId"]}])
    assert "Description" not in rules_of(ec2, gid, True)[0]
    u = ec2.update_security_group_rule_descriptions_ingress
    assert code_of(u, GroupId=gid, IpPermissions=[tcp(23, "10.0.0.0/8")]) == "InvalidPermission.NotFound"
    assert code_of(u, GroupId=gid, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": out["SecurityGroupRuleId"], "Description": "x"}]) == "InvalidSecurityGroupRuleId.NotFound"
    assert code_of(u, GroupId=gid, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": rule["SecurityGroupRuleId"], "Description": "bad\u00e9"}]) == "InvalidParameterValue"
    assert code_of(u, GroupId=gid) == "MissingParameter"


# ---- describe security groups ----------------------------------------------------------------

def test_describe_security_groups_filters_and_paging(ec2):
    gid, name = new_group(ec2)
    src, src_name = new_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        tcp(15432, "10.20.0.0/16"), {"IpProtocol": "tcp", "FromPort": 16379, "ToPort": 16379, "UserIdGroupPairs": [{"GroupId": src}]}])
    ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 123, "ToPort": 123, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]}])
    owner = default_vpc(ec2)["OwnerId"]

    def ids(*filters):
        return sorted(g["GroupId"] for g in ec2.describe_security_groups(
            Filters=[{"Name": n, "Values": v} for n, v in filters])["SecurityGroups"])

    assert ids(("ip-permission.cidr", ["10.20.0.0/16"])) == [gid]
    assert ids(("ip-permission.from-port", ["15432"]), ("ip-permission.protocol", ["tcp"])) == [gid]
    assert ids(("ip-permission.to-port", ["16379"])) == [gid]
    assert ids(("ip-permission.group-id", [src])) == [gid]
    assert ids(("ip-permission.group-name", [src_name])) == [gid]
    assert gid in ids(("ip-permission.user-id", [owner]))
    assert ids(("egress.ip-permission.ipv6-cidr", ["2001:db8::/32"])) == [gid]
    assert ids(("egress.ip-permission.protocol", ["udp"])) == [gid]
    assert ids(("group-name", [name]), ("description", [f"{name} group"])) == [gid]
    assert ids(("group-id", [gid, src])) == sorted([gid, src])
    assert ids(("ip-permission.cidr", ["10.20.0.0/16"]), ("group-name", [src_name])) == []
    assert code_of(ec2.describe_security_groups, Filters=[{"Name": "ip-permission.nope", "Values": ["x"]}]) == "InvalidParameterValue"
    every = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    paged = [g["GroupId"] for p in ec2.get_paginator("describe_security_groups").paginate(PaginationConfig={"PageSize": 5})
             for g in p["SecurityGroups"]]
    assert len(paged) == len(every) and set(paged) == every
    assert ec2.describe_security_group_references(GroupId=[gid])["SecurityGroupReferenceSet"] == []
    assert code_of(ec2.describe_security_group_references, GroupId=["sg-0123456789abcdef0"]) == "InvalidGroup.NotFound"


# ---- delete ----------------------------------------------------------------------------------

def test_delete_rules(ec2):
    gid, name = new_group(ec2)
    user, _ = new_group(ec2)
    ec2.authorize_security_group_ingress(GroupId=user, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": gid}]}])
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=gid)
    assert error_of(e)[:2] == ("DependencyViolation", f"resource {gid} has a dependent object")
    # a group referencing itself can go
    ec2.authorize_security_group_ingress(GroupId=user, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": user}]}])
    rule_ids = [r["SecurityGroupRuleId"] for r in rules_of(ec2, user)]
    r = ec2.delete_security_group(GroupId=user)
    assert (r["Return"], r["GroupId"]) == (True, user)
    assert code_of(ec2.describe_security_group_rules, SecurityGroupRuleIds=rule_ids[:1]) == "InvalidSecurityGroupRuleId.NotFound"
    assert ec2.delete_security_group(GroupName=name)["GroupId"] == gid
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=default["GroupId"])
    assert error_of(e)[:2] == ("CannotDelete", f'the specified group: "{default["GroupId"]}" name: "default" cannot be deleted by a user')
    assert code_of(ec2.delete_security_group, GroupName="default") == "CannotDelete"
    assert code_of(ec2.delete_security_group, GroupId=gid) == "InvalidGroup.NotFound"
    assert code_of(ec2.delete_security_group, GroupId="sg-zz") == "InvalidGroupId.Malformed"
    assert code_of(ec2.delete_security_group, GroupName="never-was") == "InvalidGroup.NotFound"
    assert code_of(ec2.delete_security_group) == "MissingParameter"
    keep, _ = new_group(ec2)
    assert code_of(ec2.delete_security_group, GroupId=keep, DryRun=True) == "DryRunOperation"
    assert group(ec2, keep)["GroupId"] == keep


def test_default_group_rules_have_ids(ec2):
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    rules = rules_of(ec2, default["GroupId"])
    assert sorted(r["IsEgress"] for r in rules) == [False, True]
    inbound = next(r for r in rules if not r["IsEgress"])
    assert inbound["ReferencedGroupInfo"]["GroupId"] == default["GroupId"] and inbound["IpProtocol"] == "-1"


def test_other_account_group_is_another_network(server, ec2):
    other = server.ec2(credentials=server.create_account("sg-other"))
    theirs, _ = new_group(other)
    gid, _ = new_group(ec2)
    # the other account cannot see ours
    assert code_of(other.describe_security_groups, GroupIds=[gid]) == "InvalidGroup.NotFound"
    their_owner = default_vpc(other)["OwnerId"]
    assert code_of(ec2.authorize_security_group_ingress, GroupId=gid, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": theirs, "UserId": their_owner}]}]) == "InvalidGroup.NotFound"


def test_rules_survive_restart(server_factory):
    srv = server_factory()
    client = srv.ec2()
    gid, _ = new_group(client)
    client.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")])
    before = sorted(r["SecurityGroupRuleId"] for r in rules_of(client, gid))
    srv.restart(graceful=False)
    client = srv.ec2()
    assert sorted(r["SecurityGroupRuleId"] for r in rules_of(client, gid)) == before
