"""Compute extras against a live server (mock runtime): every commercial region and its zones,
Local/Wavelength Zone opt-in, and Dedicated Hosts with instances placed on them, through boto3
and the aws CLI."""

import pytest
from botocore.exceptions import ClientError

from conftest import FAST, error_of, minimal_ami

MOCK_BOOT_SECONDS = 0.2


@pytest.fixture(scope="module")
def ami(ec2):
    return minimal_ami(ec2)


def subnet_of(ec2, zone):
    return ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": [zone]},
                                         {"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]


# --- regions and zones -------------------------------------------------------------------------

def test_us_east_1_has_six_zones_and_six_default_subnets(ec2):
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in sorted(zones, key=lambda z: z["ZoneName"])] == [
        (f"us-east-1{c}", f"use1-az{i + 1}") for i, c in enumerate("abcdef")]
    assert {z["ZoneType"] for z in zones} == {"availability-zone"}
    assert {z["GroupLongName"] for z in zones} == {"US East (N. Virginia)"}
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    by_zone = {s["AvailabilityZone"]: s["CidrBlock"] for s in subnets}
    assert by_zone == {f"us-east-1{c}": f"172.31.{16 * i}.0/20" for i, c in enumerate("abcdef")}
    # Instance type offerings cover every zone.
    offered = ec2.describe_instance_type_offerings(LocationType="availability-zone",
                                                   Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])["InstanceTypeOfferings"]
    assert sorted(o["Location"] for o in offered) == sorted(by_zone)


def test_local_and_wavelength_zones_opt_in(server, ec2):
    everything = ec2.describe_availability_zones(AllAvailabilityZones=True)["AvailabilityZones"]
    kinds = {z["ZoneType"] for z in everything}
    assert kinds == {"availability-zone", "local-zone", "wavelength-zone"}
    boston = next(z for z in everything if z["ZoneName"] == "us-east-1-bos-1a")
    assert boston["ZoneId"] == "use1-bos1-az1" and boston["GroupName"] == "us-east-1-bos-1"
    assert boston["OptInStatus"] == "not-opted-in" and boston["ParentZoneName"].startswith("us-east-1")
    wl = next(z for z in everything if z["ZoneName"] == "us-east-1-wl1-bos-wlz-1")
    assert wl["GroupName"] == "us-east-1-wl1" and wl["NetworkBorderGroup"] == "us-east-1-wl1-bos-wlz-1"
    # Not listed by default until opted in.
    assert "us-east-1-bos-1a" not in {z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    with pytest.raises(ClientError) as ei:
        ec2.modify_availability_zone_group(GroupName="us-east-1-bos-1", OptInStatus="opted-in", DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    assert ec2.modify_availability_zone_group(GroupName="us-east-1-bos-1", OptInStatus="opted-in")["Return"] is True
    listed = {z["ZoneName"]: z for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    assert listed["us-east-1-bos-1a"]["OptInStatus"] == "opted-in"
    # Opting out goes through AWS Support, unknown groups are refused.
    with pytest.raises(ClientError) as ei:
        ec2.modify_availability_zone_group(GroupName="us-east-1-bos-1", OptInStatus="not-opted-in")
    assert error_of(ei)[0] == "InvalidOptInStatus"
    with pytest.raises(ClientError) as ei:
        ec2.modify_availability_zone_group(GroupName="us-east-1-xyz-9", OptInStatus="opted-in")
    assert error_of(ei)[0] == "InvalidParameterValue"
    # The aws CLI sees the filter on zone type.
    data = server.cli_json("--profile", "stratus", "ec2", "describe-availability-zones", "--all-availability-zones",
                           "--filters", "Name=zone-type,Values=wavelength-zone", "--region", "us-west-2")
    assert data["AvailabilityZones"] and {z["ZoneType"] for z in data["AvailabilityZones"]} == {"wavelength-zone"}


def test_opt_in_regions(server, server_factory):
    client = server.ec2()
    names = {r["RegionName"] for r in client.describe_regions()["Regions"]}
    assert len(names) == 17 and "af-south-1" not in names
    everything = {r["RegionName"]: r["OptInStatus"] for r in client.describe_regions(AllRegions=True)["Regions"]}
    assert len(everything) == 34 and everything["af-south-1"] == "not-opted-in"
    # A region not opted into refuses requests; one enabled on the server works.
    with pytest.raises(ClientError) as ei:
        server.ec2("af-south-1").describe_availability_zones()
    assert error_of(ei)[0] == "AuthFailure"
    enabled = server_factory("optin", extra_args=["--opt-in-region", "af-south-1"])
    africa = enabled.ec2("af-south-1")
    assert sorted(z["ZoneId"] for z in africa.describe_availability_zones()["AvailabilityZones"]) == ["afs1-az1", "afs1-az2", "afs1-az3"]
    status = {r["RegionName"]: r["OptInStatus"] for r in africa.describe_regions()["Regions"]}
    assert status["af-south-1"] == "opted-in" and len(status) == 18
    assert len(africa.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]) == 3


# --- dedicated hosts ---------------------------------------------------------------------------

def test_dedicated_host_lifecycle(ec2, ami):
    host_id = ec2.allocate_hosts(AvailabilityZone="us-east-1b", InstanceType="m5.large", Quantity=1, AutoPlacement="off",
                                 ClientToken="host-token-1",
                                 TagSpecifications=[{"ResourceType": "dedicated-host", "Tags": [{"Key": "team", "Value": "db"}]}])["HostIds"][0]
    assert host_id.startswith("h-")
    # The same client token answers the same host.
    assert ec2.allocate_hosts(AvailabilityZone="us-east-1b", InstanceType="m5.large", Quantity=1, AutoPlacement="off",
                              ClientToken="host-token-1")["HostIds"] == [host_id]
    host = ec2.describe_hosts(HostIds=[host_id])["Hosts"][0]
    assert host["State"] == "available" and host["AutoPlacement"] == "off" and host["AllowsMultipleInstanceTypes"] == "off"
    assert host["HostProperties"]["InstanceType"] == "m5.large" and host["HostProperties"]["TotalVCpus"] == 96
    assert host["AvailableCapacity"]["AvailableInstanceCapacity"] == [{"AvailableCapacity": 48, "InstanceType": "m5.large", "TotalCapacity": 48}]
    assert host["Tags"] == [{"Key": "team", "Value": "db"}]
    assert [h["HostId"] for h in ec2.describe_hosts(Filters=[{"Name": "tag:team", "Values": ["db"]}])["Hosts"]] == [host_id]

    # Auto-placement off: a host-tenancy launch without the host id finds no host.
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="m5.large", MinCount=1, MaxCount=1, SubnetId=subnet_of(ec2, "us-east-1b"),
                          Placement={"Tenancy": "host"})
    assert error_of(ei)[0] == "InsufficientHostCapacity"
    # Wrong type and wrong zone for the named host.
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="c5.large", MinCount=1, MaxCount=1, SubnetId=subnet_of(ec2, "us-east-1b"),
                          Placement={"HostId": host_id})
    assert error_of(ei)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="m5.large", MinCount=1, MaxCount=1, SubnetId=subnet_of(ec2, "us-east-1a"),
                          Placement={"HostId": host_id})
    assert error_of(ei)[0] == "InvalidParameterCombination"

    launched = ec2.run_instances(ImageId=ami, InstanceType="m5.large", MinCount=2, MaxCount=2, SubnetId=subnet_of(ec2, "us-east-1b"),
                                 Placement={"HostId": host_id, "Affinity": "host"})["Instances"]
    ids = [i["InstanceId"] for i in launched]
    assert {(i["Placement"]["Tenancy"], i["Placement"]["HostId"], i["Placement"]["Affinity"]) for i in launched} == {("host", host_id, "host")}
    host = ec2.describe_hosts(HostIds=[host_id])["Hosts"][0]
    assert sorted(i["InstanceId"] for i in host["Instances"]) == sorted(ids)
    assert host["AvailableCapacity"]["AvailableInstanceCapacity"][0]["AvailableCapacity"] == 46
    assert host["AvailableCapacity"]["AvailableVCpus"] == 92
    found = ec2.describe_instances(Filters=[{"Name": "host-id", "Values": [host_id]}])["Reservations"]
    assert sorted(i["InstanceId"] for r in found for i in r["Instances"]) == sorted(ids)

    # A host with instances is not released; the others are.
    released = ec2.release_hosts(HostIds=[host_id, "h-0123456789abcdef0"])
    assert released["Successful"] == []
    codes = {u["ResourceId"]: u["Error"]["Code"] for u in released["Unsuccessful"]}
    assert codes == {host_id: "InvalidHost.Occupied", "h-0123456789abcdef0": "InvalidHostID.NotFound"}

    # Stopped instances leave the host; with affinity host they come back to it.
    ec2.stop_instances(InstanceIds=ids)
    ec2.get_waiter("instance_stopped").wait(InstanceIds=ids, WaiterConfig=FAST)
    assert ec2.describe_hosts(HostIds=[host_id])["Hosts"][0]["Instances"] == []
    ec2.start_instances(InstanceIds=ids[:1])
    assert [i["InstanceId"] for i in ec2.describe_hosts(HostIds=[host_id])["Hosts"][0]["Instances"]] == ids[:1]

    # ModifyInstancePlacement needs a stopped instance.
    with pytest.raises(ClientError) as ei:
        ec2.modify_instance_placement(InstanceId=ids[0], Affinity="default")
    assert error_of(ei)[0] == "IncorrectInstanceState"
    assert ec2.modify_instance_placement(InstanceId=ids[1], Affinity="default")["Return"] is True
    assert ec2.describe_instances(InstanceIds=[ids[1]])["Reservations"][0]["Instances"][0]["Placement"]["Affinity"] == "default"

    ec2.terminate_instances(InstanceIds=ids)
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=FAST)
    mod = ec2.modify_hosts(HostIds=[host_id], AutoPlacement="on", InstanceFamily="m5")
    assert mod["Successful"] == [host_id]
    host = ec2.describe_hosts(HostIds=[host_id])["Hosts"][0]
    assert host["AllowsMultipleInstanceTypes"] == "on" and host["AutoPlacement"] == "on"
    sizes = {c["InstanceType"]: c["TotalCapacity"] for c in host["AvailableCapacity"]["AvailableInstanceCapacity"]}
    assert sizes["m5.large"] == 48 and sizes["m5.24xlarge"] == 1
    assert ec2.release_hosts(HostIds=[host_id])["Successful"] == [host_id]
    assert ec2.describe_hosts(HostIds=[host_id])["Hosts"][0]["State"] == "released"


def test_auto_placement_on_family_host(ec2, ami):
    host_id = ec2.allocate_hosts(AvailabilityZone="us-east-1d", InstanceFamily="c5", Quantity=1)["HostIds"][0]
    subnet = subnet_of(ec2, "us-east-1d")
    big = ec2.run_instances(ImageId=ami, InstanceType="c5.18xlarge", MinCount=1, MaxCount=1, SubnetId=subnet,
                            Placement={"Tenancy": "host"})["Instances"][0]
    assert big["Placement"]["HostId"] == host_id
    small = ec2.run_instances(ImageId=ami, InstanceType="c5.large", MinCount=1, MaxCount=1, SubnetId=subnet,
                              Placement={"Tenancy": "host"})["Instances"][0]
    assert small["Placement"]["HostId"] == host_id
    capacity = ec2.describe_hosts(HostIds=[host_id])["Hosts"][0]["AvailableCapacity"]
    assert capacity["AvailableVCpus"] == 96 - 72 - 2
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="c5.12xlarge", MinCount=1, MaxCount=1, SubnetId=subnet,
                          Placement={"Tenancy": "host"})
    assert error_of(ei)[0] == "InsufficientHostCapacity"
    ids = [big["InstanceId"], small["InstanceId"]]
    ec2.terminate_instances(InstanceIds=ids)
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=FAST)
    assert ec2.release_hosts(HostIds=[host_id])["Successful"] == [host_id]


def test_allocate_hosts_errors(ec2):
    def code(**kwargs):
        with pytest.raises(ClientError) as ei:
            ec2.allocate_hosts(**kwargs)
        return error_of(ei)[0]

    assert code(AvailabilityZone="us-east-1z", InstanceType="m5.large", Quantity=1) == "InvalidParameterValue"
    assert code(AvailabilityZone="us-east-1a", InstanceType="m5.large", InstanceFamily="m5", Quantity=1) == "InvalidParameterCombination"
    assert code(AvailabilityZone="us-east-1a", Quantity=1) == "MissingParameter"
    assert code(AvailabilityZone="us-east-1a", InstanceType="m5.nope", Quantity=1) == "InvalidParameterValue"
    with pytest.raises(ClientError) as ei:
        ec2.describe_hosts(HostIds=["h-nope"])
    assert error_of(ei)[0] == "InvalidHostID.Malformed"


def test_hosts_with_the_cli(server):
    out = server.cli_json("--profile", "stratus", "ec2", "allocate-hosts", "--availability-zone", "us-east-1c",
                          "--instance-type", "r5.xlarge", "--quantity", "2")
    assert len(out["HostIds"]) == 2
    listed = server.cli_json("--profile", "stratus", "ec2", "describe-hosts", "--filter", "Name=instance-type,Values=r5.xlarge")
    assert sorted(h["HostId"] for h in listed["Hosts"]) == sorted(out["HostIds"])
    released = server.cli_json("--profile", "stratus", "ec2", "release-hosts", "--host-ids", *out["HostIds"])
    assert sorted(released["Successful"]) == sorted(out["HostIds"])


# --- capacity reservations ---------------------------------------------------------------------

def test_capacity_reservation_open_and_targeted(ec2, ami):
    cr = ec2.create_capacity_reservation(InstanceType="t3.small", InstancePlatform="Linux/UNIX", AvailabilityZone="us-east-1e",
                                         InstanceCount=2, TagSpecifications=[{"ResourceType": "capacity-reservation",
                                                                              "Tags": [{"Key": "env", "Value": "ci"}]}])["CapacityReservation"]
    cr_id = cr["CapacityReservationId"]
    assert cr_id.startswith("cr-") and cr["State"] == "active" and cr["AvailableInstanceCount"] == 2
    assert cr["EndDateType"] == "unlimited" and cr["InstanceMatchCriteria"] == "open" and cr["AvailabilityZoneId"] == "use1-az5"
    subnet = subnet_of(ec2, "us-east-1e")
    # An untargeted launch of the same type in the same zone lands in the open reservation.
    first = ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    assert first["CapacityReservationId"] == cr_id
    assert first["CapacityReservationSpecification"]["CapacityReservationPreference"] == "open"
    # Other zones or types do not.
    elsewhere = ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnet_of(ec2, "us-east-1a"))["Instances"][0]
    assert "CapacityReservationId" not in elsewhere
    # Preference none stays out; a targeted launch takes the last slot.
    none = ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnet,
                             CapacityReservationSpecification={"CapacityReservationPreference": "none"})["Instances"][0]
    assert "CapacityReservationId" not in none
    targeted = ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnet,
                                 CapacityReservationSpecification={"CapacityReservationTarget": {"CapacityReservationId": cr_id}})["Instances"][0]
    assert targeted["CapacityReservationId"] == cr_id
    usage = ec2.get_capacity_reservation_usage(CapacityReservationId=cr_id)
    assert usage["AvailableInstanceCount"] == 0 and usage["InstanceUsages"][0]["UsedInstanceCount"] == 2
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnet,
                          CapacityReservationSpecification={"CapacityReservationTarget": {"CapacityReservationId": cr_id}})
    assert error_of(ei)[0] == "ReservationCapacityExceeded"
    # Stopping frees the slot; the reservation grows and shrinks; cancelling ends it.
    ec2.stop_instances(InstanceIds=[first["InstanceId"]])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[first["InstanceId"]], WaiterConfig=FAST)
    assert ec2.describe_capacity_reservations(CapacityReservationIds=[cr_id])["CapacityReservations"][0]["AvailableInstanceCount"] == 1
    with pytest.raises(ClientError) as ei:
        ec2.modify_instance_capacity_reservation_attributes(InstanceId=targeted["InstanceId"],
                                                            CapacityReservationSpecification={"CapacityReservationPreference": "none"})
    assert error_of(ei)[0] == "IncorrectInstanceState"
    assert ec2.modify_instance_capacity_reservation_attributes(
        InstanceId=first["InstanceId"], CapacityReservationSpecification={"CapacityReservationPreference": "none"})["Return"] is True
    assert ec2.modify_capacity_reservation(CapacityReservationId=cr_id, InstanceCount=5)["Return"] is True
    got = ec2.describe_capacity_reservations(CapacityReservationIds=[cr_id], Filters=[{"Name": "state", "Values": ["active"]}])["CapacityReservations"]
    assert [(c["CapacityReservationId"], c["TotalInstanceCount"], c["AvailableInstanceCount"]) for c in got] == [(cr_id, 5, 4)]
    assert ec2.cancel_capacity_reservation(CapacityReservationId=cr_id)["Return"] is True
    assert ec2.describe_capacity_reservations(CapacityReservationIds=[cr_id])["CapacityReservations"][0]["State"] == "cancelled"
    with pytest.raises(ClientError) as ei:
        ec2.cancel_capacity_reservation(CapacityReservationId=cr_id)
    assert error_of(ei)[0] == "IncorrectState"
    ids = [first["InstanceId"], elsewhere["InstanceId"], none["InstanceId"], targeted["InstanceId"]]
    ec2.terminate_instances(InstanceIds=ids)


def test_capacity_reservation_errors_and_cli(server, ec2):
    def code(call, **kwargs):
        with pytest.raises(ClientError) as ei:
            call(**kwargs)
        return error_of(ei)[0]

    base = dict(InstanceType="m5.large", InstancePlatform="Linux/UNIX", AvailabilityZone="us-east-1a", InstanceCount=1)
    assert code(ec2.create_capacity_reservation, **{**base, "AvailabilityZone": "us-east-1z"}) == "InvalidParameterValue"
    assert code(ec2.create_capacity_reservation, **{**base, "EndDateType": "limited"}) == "MissingParameter"
    assert code(ec2.create_capacity_reservation, **{**base, "InstanceCount": 0}) == "InvalidParameterValue"
    assert code(ec2.create_capacity_reservation, **{**base, "DryRun": True}) == "DryRunOperation"
    assert code(ec2.describe_capacity_reservations, CapacityReservationIds=["cr-0123456789abcdef0"]) == "InvalidCapacityReservationId.NotFound"
    assert code(ec2.cancel_capacity_reservation, CapacityReservationId="cr-bad") == "InvalidCapacityReservationId.Malformed"
    out = server.cli_json("--profile", "stratus", "ec2", "create-capacity-reservation", "--instance-type", "c5.large",
                          "--instance-platform", "Linux/UNIX", "--availability-zone", "us-east-1b", "--instance-count", "3",
                          "--instance-match-criteria", "targeted", "--end-date-type", "limited", "--end-date", "2099-01-01T00:00:00Z")
    cr = out["CapacityReservation"]
    assert cr["InstanceMatchCriteria"] == "targeted" and cr["EndDateType"] == "limited" and cr["EndDate"].startswith("2099-01-01")
    listed = server.cli_json("--profile", "stratus", "ec2", "describe-capacity-reservations",
                             "--filters", "Name=instance-type,Values=c5.large")
    assert [c["CapacityReservationId"] for c in listed["CapacityReservations"]] == [cr["CapacityReservationId"]]


# --- credit specifications ---------------------------------------------------------------------

def test_credit_specifications(server, ec2, ami):
    assert ec2.get_default_credit_specification(InstanceFamily="t2")["InstanceFamilyCreditSpecification"] == {"InstanceFamily": "t2", "CpuCredits": "standard"}
    assert ec2.get_default_credit_specification(InstanceFamily="t3")["InstanceFamilyCreditSpecification"]["CpuCredits"] == "unlimited"
    changed = ec2.modify_default_credit_specification(InstanceFamily="t3", CpuCredits="standard")["InstanceFamilyCreditSpecification"]
    assert changed == {"InstanceFamily": "t3", "CpuCredits": "standard"}
    subnet = subnet_of(ec2, "us-east-1a")
    burst = ec2.run_instances(ImageId=ami, InstanceType="t3.nano", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    plain = ec2.run_instances(ImageId=ami, InstanceType="m5.large", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    got = ec2.describe_instance_credit_specifications(InstanceIds=[burst])["InstanceCreditSpecifications"]
    assert got == [{"InstanceId": burst, "CpuCredits": "standard"}]
    listed = {c["InstanceId"] for c in ec2.describe_instance_credit_specifications()["InstanceCreditSpecifications"]}
    assert burst in listed and plain not in listed
    result = ec2.modify_instance_credit_specification(InstanceCreditSpecifications=[
        {"InstanceId": burst, "CpuCredits": "unlimited"}, {"InstanceId": plain, "CpuCredits": "unlimited"}])
    assert [s["InstanceId"] for s in result["SuccessfulInstanceCreditSpecifications"]] == [burst]
    assert [u["InstanceId"] for u in result["UnsuccessfulInstanceCreditSpecifications"]] == [plain]
    cli = server.cli_json("--profile", "stratus", "ec2", "describe-instance-credit-specifications", "--instance-ids", burst)
    assert cli["InstanceCreditSpecifications"][0]["CpuCredits"] == "unlimited"
    with pytest.raises(ClientError) as ei:
        ec2.get_default_credit_specification(InstanceFamily="m5")
    assert error_of(ei)[0] == "InvalidParameterValue"
    ec2.modify_default_credit_specification(InstanceFamily="t3", CpuCredits="unlimited")
    ec2.terminate_instances(InstanceIds=[burst, plain])
