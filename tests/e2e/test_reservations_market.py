"""Dedicated Host Reservations (offerings, purchase previews, purchases, the reserved hosts) and the
Reserved Instance Marketplace's seller side (listings, their price schedules, cancelling), with
boto3 and the aws CLI. Mock runtime, one server for the module."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ServerFactory, error_of, tags_dict, wait_until

ONE_YEAR, THREE_YEARS = 31536000, 94608000


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("reservations-market")))
    try:
        yield factory(name="stratus-reservations-market")
    finally:
        factory.close()


@pytest.fixture(scope="module")
def ec2(srv):
    return srv.ec2()


def _code(fn, **kw) -> str:
    with pytest.raises(ClientError) as caught:
        fn(**kw)
    return error_of(caught)[0]


def _offering(ec2, family: str, option: str, duration: int = ONE_YEAR) -> dict:
    offers = ec2.describe_host_reservation_offerings(Filter=[{"Name": "instance-family", "Values": [family]}, {"Name": "payment-option", "Values": [option]}],
                                                     MinDuration=duration, MaxDuration=duration)["OfferingSet"]
    assert len(offers) == 1, offers
    return offers[0]


# ---------------------------------------------------------------- host reservation offerings

def test_offerings_per_family_payment_option_and_term_with_filters_and_paging(ec2):
    m5 = ec2.describe_host_reservation_offerings(Filter=[{"Name": "instance-family", "Values": ["m5"]}])["OfferingSet"]
    assert len(m5) == 6
    assert {(o["PaymentOption"], o["Duration"]) for o in m5} == {(p, d) for p in ("NoUpfront", "PartialUpfront", "AllUpfront") for d in (ONE_YEAR, THREE_YEARS)}
    assert all(o["OfferingId"].startswith("hro-") and len(o["OfferingId"]) == 21 and o["CurrencyCode"] == "USD" for o in m5)
    by = {(o["PaymentOption"], o["Duration"]): o for o in m5}
    no_upfront, partial, all_upfront = (by[(p, ONE_YEAR)] for p in ("NoUpfront", "PartialUpfront", "AllUpfront"))
    assert no_upfront["UpfrontPrice"] == "0.000" and float(no_upfront["HourlyPrice"]) > 0
    assert all_upfront["HourlyPrice"] == "0.000" and float(all_upfront["UpfrontPrice"]) > 0
    # Partial Upfront: half up front, half by the hour; more up front buys a deeper discount.
    assert float(partial["HourlyPrice"]) < float(no_upfront["HourlyPrice"])
    assert float(all_upfront["UpfrontPrice"]) < float(no_upfront["HourlyPrice"]) * 8760
    assert float(by[("NoUpfront", THREE_YEARS)]["HourlyPrice"]) < float(no_upfront["HourlyPrice"])

    three = ec2.describe_host_reservation_offerings(MinDuration=THREE_YEARS, Filter=[{"Name": "payment-option", "Values": ["AllUpfront"]}])["OfferingSet"]
    assert three and all(o["Duration"] == THREE_YEARS and o["PaymentOption"] == "AllUpfront" for o in three)
    assert len({o["InstanceFamily"] for o in three}) == len(three)
    [named] = ec2.describe_host_reservation_offerings(OfferingId=no_upfront["OfferingId"])["OfferingSet"]
    assert named == no_upfront

    first = ec2.describe_host_reservation_offerings(MaxResults=5)
    assert len(first["OfferingSet"]) == 5 and first["NextToken"]
    second = ec2.describe_host_reservation_offerings(MaxResults=5, NextToken=first["NextToken"])
    assert not {o["OfferingId"] for o in first["OfferingSet"]} & {o["OfferingId"] for o in second["OfferingSet"]}
    every = [o for page in ec2.get_paginator("describe_host_reservation_offerings").paginate(PaginationConfig={"PageSize": 500}) for o in page["OfferingSet"]]
    assert len(every) == len({o["OfferingId"] for o in every}) and len(every) % 6 == 0 and len(every) > 60

    assert _code(ec2.describe_host_reservation_offerings, MaxResults=501) == "InvalidParameterValue"
    assert _code(ec2.describe_host_reservation_offerings, OfferingId="hro-nothex") == "InvalidHostReservationOfferingId.Malformed"
    assert _code(ec2.describe_host_reservation_offerings, OfferingId="hro-0123456789abcdef0") == "InvalidHostReservationOfferingId.NotFound"


# ---------------------------------------------------------------- purchases

def test_preview_purchase_describe_and_the_reserved_hosts(ec2):
    hosts = ec2.allocate_hosts(AvailabilityZone="us-east-1a", InstanceFamily="m5", Quantity=2)["HostIds"]
    [c5_host] = ec2.allocate_hosts(AvailabilityZone="us-east-1a", InstanceType="c5.large", Quantity=1)["HostIds"]
    offer = _offering(ec2, "m5", "PartialUpfront")

    preview = ec2.get_host_reservation_purchase_preview(OfferingId=offer["OfferingId"], HostIdSet=hosts)
    [item] = preview["Purchase"]
    assert sorted(item["HostIdSet"]) == sorted(hosts) and item["InstanceFamily"] == "m5" and item["PaymentOption"] == "PartialUpfront"
    assert float(preview["TotalUpfrontPrice"]) == pytest.approx(2 * float(offer["UpfrontPrice"]), abs=0.01)
    assert float(preview["TotalHourlyPrice"]) == pytest.approx(2 * float(offer["HourlyPrice"]), abs=0.002)
    assert preview["CurrencyCode"] == "USD" and "HostReservationId" not in item

    assert _code(ec2.get_host_reservation_purchase_preview, OfferingId=offer["OfferingId"], HostIdSet=[c5_host]) == "InvalidInstanceFamily"
    assert _code(ec2.get_host_reservation_purchase_preview, OfferingId=offer["OfferingId"], HostIdSet=["h-0123456789abcdef0"]) == "InvalidHostID.NotFound"
    assert _code(ec2.get_host_reservation_purchase_preview, OfferingId=offer["OfferingId"], HostIdSet=["h-bad"]) == "InvalidHostID.Malformed"
    assert _code(ec2.get_host_reservation_purchase_preview, OfferingId="hro-0123456789abcdef0", HostIdSet=hosts) == "InvalidHostReservationOfferingId.NotFound"
    assert _code(ec2.purchase_host_reservation, OfferingId=offer["OfferingId"], HostIdSet=hosts, LimitPrice="1.00") == "InvalidParameterValue"
    assert _code(ec2.purchase_host_reservation, OfferingId=offer["OfferingId"], HostIdSet=hosts, CurrencyCode="EUR") in ("InvalidParameterValue", "ValidationError")

    bought = ec2.purchase_host_reservation(OfferingId=offer["OfferingId"], HostIdSet=hosts, ClientToken="hr-token-1",
                                           LimitPrice=str(2 * float(offer["UpfrontPrice"]) + 1),
                                           TagSpecifications=[{"ResourceType": "host-reservation", "Tags": [{"Key": "team", "Value": "db"}]}])
    [purchase] = bought["Purchase"]
    hr = purchase["HostReservationId"]
    assert hr.startswith("hr-") and bought["ClientToken"] == "hr-token-1"
    assert bought["TotalUpfrontPrice"] == preview["TotalUpfrontPrice"] and bought["TotalHourlyPrice"] == preview["TotalHourlyPrice"]
    again = ec2.purchase_host_reservation(OfferingId=offer["OfferingId"], HostIdSet=hosts, ClientToken="hr-token-1")
    assert again["Purchase"][0]["HostReservationId"] == hr
    assert len(ec2.describe_host_reservations()["HostReservationSet"]) == 1

    [res] = ec2.describe_host_reservations(HostReservationIdSet=[hr])["HostReservationSet"]
    assert res["State"] == "active" and res["Count"] == 2 and sorted(res["HostIdSet"]) == sorted(hosts)
    assert res["OfferingId"] == offer["OfferingId"] and res["InstanceFamily"] == "m5" and res["Duration"] == ONE_YEAR
    assert (res["End"] - res["Start"]).total_seconds() == ONE_YEAR and tags_dict(res) == {"team": "db"}
    for name, value in (("state", "active"), ("instance-family", "m5"), ("payment-option", "PartialUpfront"), ("tag:team", "db"), ("tag-key", "team")):
        assert [r["HostReservationId"] for r in ec2.describe_host_reservations(Filter=[{"Name": name, "Values": [value]}])["HostReservationSet"]] == [hr], name
    assert ec2.describe_host_reservations(Filter=[{"Name": "state", "Values": ["retired"]}])["HostReservationSet"] == []
    assert _code(ec2.describe_host_reservations, HostReservationIdSet=["hr-bad"]) == "InvalidHostReservationId.Malformed"
    assert _code(ec2.describe_host_reservations, HostReservationIdSet=["hr-0123456789abcdef0"]) == "InvalidHostReservationId.NotFound"
    assert _code(ec2.describe_host_reservations, MaxResults=501) == "InvalidParameterValue"

    # The hosts carry the reservation; a covered host is neither reserved twice nor released.
    described = ec2.describe_hosts(HostIds=hosts)["Hosts"]
    assert {h["HostReservationId"] for h in described} == {hr}
    assert sorted(h["HostId"] for h in ec2.describe_hosts(Filter=[{"Name": "host-reservation-id", "Values": [hr]}])["Hosts"]) == sorted(hosts)
    assert _code(ec2.purchase_host_reservation, OfferingId=offer["OfferingId"], HostIdSet=[hosts[0]]) == "HostAlreadyCoveredByReservation"
    released = ec2.release_hosts(HostIds=[hosts[0], c5_host])
    assert released["Successful"] == [c5_host]
    assert released["Unsuccessful"][0]["ResourceId"] == hosts[0] and released["Unsuccessful"][0]["Error"]["Code"] == "UnsupportedOperation"
    c5_offer = _offering(ec2, "c5", "NoUpfront")
    assert _code(ec2.purchase_host_reservation, OfferingId=c5_offer["OfferingId"], HostIdSet=[c5_host]) == "InvalidHostID.NotFound"


def test_host_reservations_with_the_aws_cli(srv, ec2):
    [host] = ec2.allocate_hosts(AvailabilityZone="us-east-1b", InstanceType="r5.large", Quantity=1)["HostIds"]
    cli = ("--profile", "stratus", "ec2")
    offers = srv.cli_json(*cli, "describe-host-reservation-offerings", "--filter", "Name=instance-family,Values=r5", "Name=payment-option,Values=AllUpfront",
                          "--max-duration", str(ONE_YEAR))["OfferingSet"]
    [offer] = offers
    preview = srv.cli_json(*cli, "get-host-reservation-purchase-preview", "--offering-id", offer["OfferingId"], "--host-id-set", host)
    assert preview["TotalUpfrontPrice"] == offer["UpfrontPrice"] and preview["TotalHourlyPrice"] == "0.000"
    bought = srv.cli_json(*cli, "purchase-host-reservation", "--offering-id", offer["OfferingId"], "--host-id-set", host,
                          "--tag-specifications", "ResourceType=host-reservation,Tags=[{Key=Name,Value=cli}]")
    hr = bought["Purchase"][0]["HostReservationId"]
    listed = srv.cli_json(*cli, "describe-host-reservations", "--filter", "Name=tag:Name,Values=cli")["HostReservationSet"]
    assert [r["HostReservationId"] for r in listed] == [hr] and listed[0]["PaymentOption"] == "AllUpfront"


# ---------------------------------------------------------------- Reserved Instance Marketplace

def _buy(ec2, count: int, offering_class: str = "standard", zone: str | None = "us-east-1a") -> str:
    kw = {"AvailabilityZone": zone} if zone else {"Filters": [{"Name": "scope", "Values": ["Region"]}]}
    [offer] = ec2.describe_reserved_instances_offerings(InstanceType="m5.large", ProductDescription="Linux/UNIX", InstanceTenancy="default", OfferingClass=offering_class,
                                                        OfferingType="All Upfront", MaxDuration=ONE_YEAR, **kw)["ReservedInstancesOfferings"]
    return ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=offer["ReservedInstancesOfferingId"], InstanceCount=count)["ReservedInstancesId"]


def _active(ec2, *ids: str):
    wait_until(lambda: all(r["State"] == "active" for r in ec2.describe_reserved_instances(ReservedInstancesIds=list(ids))["ReservedInstances"]), 10, "the purchases become active")


def test_list_describe_and_cancel_reserved_instances(ec2):
    ri = _buy(ec2, 3)
    # A purchase whose payment is pending cannot be listed yet.
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId=ri, InstanceCount=1, ClientToken="early",
                 PriceSchedules=[{"Term": 6, "Price": 100.0}]) == "InvalidInput"
    convertible, regional = _buy(ec2, 1, "convertible"), _buy(ec2, 1, zone=None)
    _active(ec2, ri, convertible, regional)

    listing = ec2.create_reserved_instances_listing(ReservedInstancesId=ri, InstanceCount=2, ClientToken="list-1",
                                                    PriceSchedules=[{"Term": 6, "Price": 300.0, "CurrencyCode": "USD"}, {"Term": 2, "Price": 80.0}])["ReservedInstancesListings"][0]
    lid = listing["ReservedInstancesListingId"]
    assert listing["Status"] == "active" and listing["StatusMessage"] == "ACTIVE" and listing["ReservedInstancesId"] == ri and listing["ClientToken"] == "list-1"
    assert {c["State"]: c["InstanceCount"] for c in listing["InstanceCounts"]} == {"available": 2, "sold": 0, "cancelled": 0, "pending": 0}
    schedules = listing["PriceSchedules"]
    months = schedules[0]["Term"]
    assert months in (11, 12) and [s["Term"] for s in schedules] == list(range(months, 0, -1))
    assert [s["Active"] for s in schedules] == [True] + [False] * (months - 1)
    assert {s["Term"]: s["Price"] for s in schedules} == {m: (300.0 if m > 2 else 80.0) for m in range(1, months + 1)}
    assert ec2.create_reserved_instances_listing(ReservedInstancesId=ri, InstanceCount=2, ClientToken="list-1",
                                                 PriceSchedules=[{"Term": 6, "Price": 300.0}])["ReservedInstancesListings"][0]["ReservedInstancesListingId"] == lid

    # The listed Reserved Instances stay the seller's, active, until sold.
    [still] = ec2.describe_reserved_instances(ReservedInstancesIds=[ri])["ReservedInstances"]
    assert still["State"] == "active" and still["InstanceCount"] == 3
    assert _code(ec2.modify_reserved_instances, ReservedInstancesIds=[ri],
                 TargetConfigurations=[{"InstanceType": "m5.large", "InstanceCount": 3, "AvailabilityZone": "us-east-1b", "Scope": "Availability Zone"}]) == "InvalidParameterValue"

    assert [x["ReservedInstancesListingId"] for x in ec2.describe_reserved_instances_listings(ReservedInstancesListingId=lid)["ReservedInstancesListings"]] == [lid]
    assert [x["ReservedInstancesListingId"] for x in ec2.describe_reserved_instances_listings(ReservedInstancesId=ri)["ReservedInstancesListings"]] == [lid]
    for name, value in (("status", "active"), ("status-message", "ACTIVE"), ("reserved-instances-id", ri), ("reserved-instances-listing-id", lid)):
        got = ec2.describe_reserved_instances_listings(Filters=[{"Name": name, "Values": [value]}])["ReservedInstancesListings"]
        assert [x["ReservedInstancesListingId"] for x in got] == [lid], name
    assert ec2.describe_reserved_instances_listings(Filters=[{"Name": "status", "Values": ["cancelled"]}])["ReservedInstancesListings"] == []

    # Errors as EC2 answers them.
    schedule = [{"Term": 3, "Price": 50.0}]
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId=ri, InstanceCount=2, ClientToken="too-many", PriceSchedules=schedule) == "InvalidParameterValue"
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId=ri, InstanceCount=0, ClientToken="none", PriceSchedules=schedule) == "InvalidParameterValue"
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId=ri, InstanceCount=1, ClientToken="long", PriceSchedules=[{"Term": 13, "Price": 5.0}]) == "InvalidParameterValue"
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId=ri, InstanceCount=1, ClientToken="neg", PriceSchedules=[{"Term": 3, "Price": -1.0}]) == "InvalidParameterValue"
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId=convertible, InstanceCount=1, ClientToken="conv", PriceSchedules=schedule) == "InvalidInput"
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId=regional, InstanceCount=1, ClientToken="region", PriceSchedules=schedule) == "InvalidInput"
    assert _code(ec2.create_reserved_instances_listing, ReservedInstancesId="00000000-0000-0000-0000-000000000000", InstanceCount=1, ClientToken="gone",
                 PriceSchedules=schedule) == "InvalidReservedInstancesId"

    # The third instance can still be listed; cancelling frees the first two again.
    other = ec2.create_reserved_instances_listing(ReservedInstancesId=ri, InstanceCount=1, ClientToken="list-2", PriceSchedules=schedule)["ReservedInstancesListings"][0]
    cancelled = ec2.cancel_reserved_instances_listing(ReservedInstancesListingId=lid)["ReservedInstancesListings"][0]
    assert cancelled["Status"] == "cancelled" and cancelled["StatusMessage"] == "CANCELLED"
    assert {c["State"]: c["InstanceCount"] for c in cancelled["InstanceCounts"]} == {"available": 0, "sold": 0, "cancelled": 2, "pending": 0}
    assert not any(s["Active"] for s in cancelled["PriceSchedules"])
    assert _code(ec2.cancel_reserved_instances_listing, ReservedInstancesListingId=lid) == "InvalidInput"
    assert _code(ec2.cancel_reserved_instances_listing, ReservedInstancesListingId="00000000-0000-0000-0000-000000000000") == "InvalidInput"
    again = ec2.create_reserved_instances_listing(ReservedInstancesId=ri, InstanceCount=2, ClientToken="list-3", PriceSchedules=schedule)["ReservedInstancesListings"][0]
    statuses = {x["ReservedInstancesListingId"]: x["Status"] for x in ec2.describe_reserved_instances_listings(ReservedInstancesId=ri)["ReservedInstancesListings"]}
    assert statuses == {lid: "cancelled", other["ReservedInstancesListingId"]: "active", again["ReservedInstancesListingId"]: "active"}


def test_reserved_instances_listings_with_the_aws_cli(srv, ec2):
    ri = _buy(ec2, 1, zone="us-east-1c")
    _active(ec2, ri)
    cli = ("--profile", "stratus", "ec2")
    created = srv.cli_json(*cli, "create-reserved-instances-listing", "--reserved-instances-id", ri, "--instance-count", "1",
                           "--price-schedules", "CurrencyCode=USD,Price=25.0,Term=4", "--client-token", "cli-listing")["ReservedInstancesListings"][0]
    lid = created["ReservedInstancesListingId"]
    listed = srv.cli_json(*cli, "describe-reserved-instances-listings", "--filters", f"Name=reserved-instances-id,Values={ri}")["ReservedInstancesListings"]
    assert [x["ReservedInstancesListingId"] for x in listed] == [lid] and listed[0]["PriceSchedules"][-1] == {"Term": 1, "Price": 25.0, "CurrencyCode": "USD", "Active": False}
    cancelled = srv.cli_json(*cli, "cancel-reserved-instances-listing", "--reserved-instances-listing-id", lid)["ReservedInstancesListings"][0]
    assert cancelled["Status"] == "cancelled"
