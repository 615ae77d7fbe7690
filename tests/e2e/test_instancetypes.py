"""Instance types: DescribeInstanceTypes (figures, filters, paging, errors) and DescribeInstanceTypeOfferings."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_of, minimal_ami


def describe(client, *names, **kwargs):
    return {t["InstanceType"]: t for t in client.describe_instance_types(InstanceTypes=list(names), **kwargs)["InstanceTypes"]}


def all_types(client, **kwargs):
    pages = client.get_paginator("describe_instance_types").paginate(**kwargs)
    return [t for p in pages for t in p["InstanceTypes"]]


def test_cli_query_prints_vcpus_and_memory(server):
    p = server.cli("--profile", "stratus", "ec2", "describe-instance-types", "--instance-types", "t3.micro",
                   "--query", "InstanceTypes[0].[VCpuInfo.DefaultVCpus,MemoryInfo.SizeInMiB]", "--output", "text", check=True)
    assert p.stdout.split() == ["2", "1024"]


def test_general_purpose_figures(ec2):
    types = describe(ec2, "t3.micro", "t4g.small", "m5.large", "t2.micro", "m7i.48xlarge")
    t3 = types["t3.micro"]
    assert t3["VCpuInfo"]["DefaultVCpus"] == 2 and t3["VCpuInfo"]["DefaultCores"] == 1 and t3["VCpuInfo"]["DefaultThreadsPerCore"] == 2
    assert t3["MemoryInfo"]["SizeInMiB"] == 1024
    assert t3["BurstablePerformanceSupported"] is True and t3["FreeTierEligible"] is True and t3["CurrentGeneration"] is True
    assert t3["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64"]
    assert t3["Hypervisor"] == "nitro" and t3["BareMetal"] is False
    assert t3["NetworkInfo"]["NetworkPerformance"] == "Up to 5 Gigabit"
    assert t3["NetworkInfo"]["MaximumNetworkInterfaces"] == 2 and t3["NetworkInfo"]["Ipv4AddressesPerInterface"] == 2
    assert t3["NetworkInfo"]["EnaSupport"] == "required" and t3["NetworkInfo"]["Ipv6Supported"] is True
    assert t3["EbsInfo"]["EbsOptimizedSupport"] == "default" and t3["EbsInfo"]["NvmeSupport"] == "required"
    assert t3["EbsInfo"]["EbsOptimizedInfo"]["MaximumBandwidthInMbps"] == 2085
    assert t3["InstanceStorageSupported"] is False and "InstanceStorageInfo" not in t3
    assert sorted(t3["SupportedUsageClasses"]) == ["on-demand", "spot"]
    assert t3["SupportedRootDeviceTypes"] == ["ebs"] and t3["SupportedVirtualizationTypes"] == ["hvm"]
    assert t3["HibernationSupported"] is True and t3["SupportedInRegion"] is True

    assert types["t4g.small"]["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"]
    assert types["t4g.small"]["ProcessorInfo"]["Manufacturer"] == "AWS"
    assert types["t4g.small"]["SupportedBootModes"] == ["uefi"]

    m5 = types["m5.large"]
    assert (m5["VCpuInfo"]["DefaultVCpus"], m5["MemoryInfo"]["SizeInMiB"]) == (2, 8192)
    assert m5["BurstablePerformanceSupported"] is False and m5["FreeTierEligible"] is False
    assert m5["VCpuInfo"]["ValidThreadsPerCore"] == [1, 2]
    assert m5["EbsInfo"]["EbsOptimizedInfo"]["BaselineThroughputInMBps"] == 81.25

    t2 = types["t2.micro"]
    assert t2["Hypervisor"] == "xen" and t2["FreeTierEligible"] is True
    assert t2["VCpuInfo"]["DefaultVCpus"] == 1 and t2["NetworkInfo"]["EnaSupport"] == "unsupported"
    assert t2["ProcessorInfo"]["SupportedArchitectures"] == ["i386", "x86_64"]

    big = types["m7i.48xlarge"]
    assert big["NetworkInfo"]["EfaSupported"] is True and big["NetworkInfo"]["EfaInfo"]["MaximumEfaInterfaces"] == 1
    assert big["HibernationSupported"] is False  # more than 150 GiB of memory


def test_compute_memory_storage_figures(ec2):
    types = describe(ec2, "c7g.large", "r5.large", "i3.large", "d3.xlarge", "m6g.metal")
    assert types["c7g.large"]["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"]
    assert types["c7g.large"]["VCpuInfo"]["DefaultThreadsPerCore"] == 1
    assert types["r5.large"]["MemoryInfo"]["SizeInMiB"] == 16 * 1024

    i3 = types["i3.large"]
    assert i3["InstanceStorageSupported"] is True
    assert i3["InstanceStorageInfo"]["TotalSizeInGB"] == 475
    assert i3["InstanceStorageInfo"]["Disks"] == [{"Count": 1, "SizeInGB": 475, "Type": "ssd"}]
    assert i3["InstanceStorageInfo"]["NvmeSupport"] == "required"
    assert i3["Hypervisor"] == "xen" and i3["AutoRecoverySupported"] is False

    d3 = types["d3.xlarge"]["InstanceStorageInfo"]
    assert d3["Disks"][0]["Type"] == "hdd" and d3["TotalSizeInGB"] == 6000

    metal = types["m6g.metal"]
    assert metal["BareMetal"] is True and "Hypervisor" not in metal


def test_accelerated_and_mac_figures(ec2):
    types = describe(ec2, "p4d.24xlarge", "g5.xlarge", "g4dn.xlarge", "inf1.xlarge", "inf2.xlarge", "mac1.metal", "mac2.metal")
    p4d = types["p4d.24xlarge"]
    assert p4d["VCpuInfo"]["DefaultVCpus"] == 96 and p4d["MemoryInfo"]["SizeInMiB"] == 1152 * 1024
    gpu = p4d["GpuInfo"]["Gpus"][0]
    assert (gpu["Manufacturer"], gpu["Name"], gpu["Count"], gpu["MemoryInfo"]["SizeInMiB"]) == ("NVIDIA", "A100", 8, 40960)
    assert p4d["GpuInfo"]["TotalGpuMemoryInMiB"] == 8 * 40960
    assert p4d["NetworkInfo"]["MaximumNetworkCards"] == 4 and len(p4d["NetworkInfo"]["NetworkCards"]) == 4
    assert p4d["NetworkInfo"]["EfaSupported"] is True
    assert p4d["InstanceStorageInfo"]["TotalSizeInGB"] == 8000

    assert types["g5.xlarge"]["GpuInfo"]["Gpus"][0]["Name"] == "A10G"
    assert types["g5.xlarge"]["GpuInfo"]["Gpus"][0]["MemoryInfo"]["SizeInMiB"] == 24576
    assert types["g4dn.xlarge"]["GpuInfo"]["Gpus"][0]["Name"] == "T4"

    inf1 = types["inf1.xlarge"]["InferenceAcceleratorInfo"]["Accelerators"][0]
    assert (inf1["Name"], inf1["Manufacturer"], inf1["Count"]) == ("Inferentia", "AWS", 1)
    neuron = types["inf2.xlarge"]["NeuronInfo"]["NeuronDevices"][0]
    assert neuron["Name"] == "Inferentia2" and neuron["CoreInfo"]["Count"] == 2

    mac1 = types["mac1.metal"]
    assert mac1["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64_mac"]
    assert mac1["BareMetal"] is True and mac1["SupportedUsageClasses"] == ["on-demand"]
    assert mac1["DedicatedHostsSupported"] is True
    assert types["mac2.metal"]["ProcessorInfo"]["SupportedArchitectures"] == ["arm64_mac"]


def test_filters(ec2):
    def names(*filters, **kwargs):
        return sorted(t["InstanceType"] for t in all_types(ec2, Filters=[{"Name": n, "Values": v} for n, v in filters], **kwargs))

    t3 = names(("instance-type", ["t3.*"]))
    assert t3 == sorted(["t3.nano", "t3.micro", "t3.small", "t3.medium", "t3.large", "t3.xlarge", "t3.2xlarge"])
    assert names(("instance-type", ["t3.*", "t4g.n?no"])) == sorted(t3 + ["t4g.nano"])
    assert names(("free-tier-eligible", ["true"])) == ["t2.micro", "t3.micro"]
    arm = names(("processor-info.supported-architecture", ["arm64"]))
    assert "c7g.large" in arm and "t4g.micro" in arm and "m5.large" not in arm
    assert names(("processor-info.supported-architecture", ["arm64"]), ("burstable-performance-supported", ["true"]))[0].startswith("t4g.")
    assert names(("vcpu-info.default-vcpus", ["2"]), ("memory-info.size-in-mib", ["1024"])) == ["t3.micro", "t3a.micro", "t4g.micro"]
    storage = names(("instance-storage-supported", ["true"]))
    assert "i3.large" in storage and "m5.large" not in storage
    hdd = names(("instance-storage-info.disk.type", ["hdd"]))
    assert {"d3.xlarge", "m1.small", "d2.8xlarge", "h1.16xlarge"} <= set(hdd) and "i3.large" not in hdd
    assert names(("instance-storage-info.total-size-in-gb", ["475"])) == ["i3.large", "x2iedn.4xlarge"]
    assert names(("instance-storage-info.total-size-in-gb", ["48000"])) == ["d2.8xlarge", "d3.8xlarge", "hs1.8xlarge"]
    xen = set(names(("hypervisor", ["xen"])))
    assert xen >= {"t2.micro", "i3.large", "t1.micro", "m4.large", "c4.8xlarge", "p2.xlarge", "x1e.32xlarge"} and "m5.large" not in xen
    assert "m5.metal" in names(("bare-metal", ["true"]))
    assert all(n.startswith(("t2.", "t3.", "t3a.", "t4g.")) for n in names(("burstable-performance-supported", ["true"])))
    assert "mac1.metal" not in names(("supported-usage-class", ["spot"]))
    no_ena = names(("network-info.ena-support", ["unsupported"]))
    assert {"t2.micro", "m4.large", "c4.large", "m3.medium"} <= set(no_ena) and "m4.16xlarge" not in no_ena and "r4.large" not in no_ena
    assert names(("network-info.efa-supported", ["true"]), ("instance-type", ["p*"])) == ["p4d.24xlarge", "p5.48xlarge"]
    previous = names(("current-generation", ["false"]))
    assert {p.split(".")[0] for p in previous} == {"c1", "c3", "cc2", "cr1", "g2", "hs1", "i2", "m1", "m2", "m3", "r3", "t1"}
    assert "m1.small" in previous and "m4.large" not in previous
    assert names(("supported-virtualization-type", ["paravirtual"]), ("instance-type", ["m1.*"])) == ["m1.large", "m1.medium", "m1.small", "m1.xlarge"]
    assert names(("supported-root-device-type", ["instance-store"]), ("instance-type", ["c3.*"])) == [f"c3.{s}" for s in ("2xlarge", "4xlarge", "8xlarge", "large", "xlarge")]
    assert "m5.large" in names(("processor-info.sustained-clock-speed-in-ghz", ["3.1"]))
    assert "p4d.24xlarge" in names(("processor-info.sustained-clock-speed-in-ghz", ["3.0"]))
    assert names(("network-info.network-performance", ["4x 100 Gigabit"])) == ["p4d.24xlarge"]
    assert "m6i.32xlarge" in names(("network-info.maximum-network-interfaces", ["15"]), ("vcpu-info.default-cores", ["64"]))

    with pytest.raises(ClientError) as ei:
        ec2.describe_instance_types(Filters=[{"Name": "instance-family", "Values": ["t3"]}])
    assert error_of(ei)[0] == "InvalidParameterValue"


def test_paginator_and_max_results(server, ec2):
    pages = list(ec2.get_paginator("describe_instance_types").paginate(PaginationConfig={"PageSize": 20}))
    assert len(pages) > 5 and all(len(p["InstanceTypes"]) <= 20 for p in pages)
    names = [t["InstanceType"] for p in pages for t in p["InstanceTypes"]]
    assert len(names) == len(set(names)) > 150
    assert "t3.micro" in names and "mac1.metal" in names

    first = ec2.describe_instance_types(MaxResults=5)
    assert len(first["InstanceTypes"]) == 5 and first["NextToken"]
    second = ec2.describe_instance_types(MaxResults=5, NextToken=first["NextToken"])
    assert not {t["InstanceType"] for t in first["InstanceTypes"]} & {t["InstanceType"] for t in second["InstanceTypes"]}

    for bad in ("4", "101"):  # boto3 itself refuses values below 5, so these go raw
        r = server.raw({"Action": "DescribeInstanceTypes", "MaxResults": bad})
        assert (r.status, r.code) == (400, "InvalidParameterValue")
    with pytest.raises(ClientError) as ei:
        ec2.describe_instance_types(MaxResults=5, NextToken="garbage")
    assert error_of(ei)[0] == "InvalidPaginationToken"


def test_unknown_and_unsupported_types(server, ec2):
    for names in (["t3.nonesuch"], ["a1.medium"], ["t3.micro", "x9.huge"]):
        with pytest.raises(ClientError) as ei:
            ec2.describe_instance_types(InstanceTypes=names)
        code, message, status = error_of(ei)
        assert (code, status) == ("InvalidInstanceType", 400)
        assert message == f"The following supplied instance types do not exist: [{[n for n in names if n != 't3.micro'][0]}]"

    # mac instances are not offered in eu-west-1: named, they do not exist there unless unsupported ones are included.
    west = server.ec2("eu-west-1")
    with pytest.raises(ClientError) as ei:
        west.describe_instance_types(InstanceTypes=["mac1.metal"])
    assert error_of(ei)[0] == "InvalidInstanceType"
    mac = west.describe_instance_types(InstanceTypes=["mac1.metal"], IncludeUnsupportedInRegion=True)["InstanceTypes"][0]
    assert mac["SupportedInRegion"] is False
    assert "mac1.metal" not in {t["InstanceType"] for t in all_types(west)}

    with pytest.raises(ClientError) as ei:
        ec2.describe_instance_types(InstanceTypes=["t3.micro"], DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"


def test_offerings(server, ec2):
    def offerings(client, **kwargs):
        pages = client.get_paginator("describe_instance_type_offerings").paginate(**kwargs)
        return [o for p in pages for o in p["InstanceTypeOfferings"]]

    region = offerings(ec2)
    assert {o["LocationType"] for o in region} == {"region"} and {o["Location"] for o in region} == {"us-east-1"}
    assert "t3.micro" in {o["InstanceType"] for o in region}

    zonal = offerings(ec2, LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["mac1.metal", "t3.micro"]}])
    assert sorted((o["InstanceType"], o["Location"]) for o in zonal) == [
        ("mac1.metal", "us-east-1a"), ("mac1.metal", "us-east-1b"),
    ] + [("t3.micro", f"us-east-1{zone}") for zone in "abcdef"]
    by_id = offerings(ec2, LocationType="availability-zone-id", Filters=[{"Name": "location", "Values": ["use1-az1"]}, {"Name": "instance-type", "Values": ["t3.*"]}])
    assert len(by_id) == 7 and {o["Location"] for o in by_id} == {"use1-az1"}
    assert {o["LocationType"] for o in by_id} == {"availability-zone-id"}

    p5 = offerings(ec2, LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["p5.48xlarge"]}])
    assert [o["Location"] for o in p5] == ["us-east-1a"]
    assert offerings(server.ec2("eu-central-1"), Filters=[{"Name": "instance-type", "Values": ["mac*"]}]) == []

    page = ec2.describe_instance_type_offerings(LocationType="availability-zone", MaxResults=5)
    assert len(page["InstanceTypeOfferings"]) == 5 and page["NextToken"]
    all_zonal = offerings(ec2, LocationType="availability-zone", PaginationConfig={"PageSize": 100})
    assert len(all_zonal) == len({(o["InstanceType"], o["Location"]) for o in all_zonal}) > 3 * 150

    with pytest.raises(ClientError) as ei:
        ec2.describe_instance_type_offerings(LocationType="galaxy")
    assert error_of(ei)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as ei:
        ec2.describe_instance_type_offerings(Filters=[{"Name": "zone", "Values": ["x"]}])
    assert error_of(ei)[0] == "InvalidParameterValue"


def test_previous_generation_types(server, ec2):
    types = describe(ec2, "m1.small", "t1.micro", "m4.large", "c3.8xlarge", "p2.16xlarge", "x1e.32xlarge")
    m1 = types["m1.small"]
    assert m1["CurrentGeneration"] is False and m1["Hypervisor"] == "xen"
    assert (m1["VCpuInfo"]["DefaultVCpus"], m1["MemoryInfo"]["SizeInMiB"]) == (1, 1740)
    assert m1["InstanceStorageInfo"]["Disks"] == [{"Count": 1, "SizeInGB": 160, "Type": "hdd"}]
    assert m1["InstanceStorageInfo"]["NvmeSupport"] == "unsupported"
    assert m1["ProcessorInfo"]["SupportedArchitectures"] == ["i386", "x86_64"]
    assert m1["SupportedVirtualizationTypes"] == ["hvm", "paravirtual"]
    assert sorted(m1["SupportedRootDeviceTypes"]) == ["ebs", "instance-store"]
    assert m1["NetworkInfo"]["Ipv6Supported"] is False and m1["NetworkInfo"]["EnaSupport"] == "unsupported"
    assert m1["EbsInfo"]["EbsOptimizedSupport"] == "unsupported" and m1["SupportedBootModes"] == ["legacy-bios"]
    assert types["t1.micro"]["MemoryInfo"]["SizeInMiB"] == 627 and types["t1.micro"]["NetworkInfo"]["NetworkPerformance"] == "Very Low"

    m4 = types["m4.large"]
    assert m4["CurrentGeneration"] is True and m4["Hypervisor"] == "xen"
    assert m4["EbsInfo"]["EbsOptimizedSupport"] == "default" and m4["EbsInfo"]["EbsOptimizedInfo"]["BaselineBandwidthInMbps"] == 450
    assert m4["NetworkInfo"]["EnaSupport"] == "unsupported" and m4["NetworkInfo"]["Ipv6Supported"] is True
    c3 = types["c3.8xlarge"]
    assert (c3["VCpuInfo"]["DefaultVCpus"], c3["VCpuInfo"]["DefaultCores"], c3["InstanceStorageInfo"]["TotalSizeInGB"]) == (32, 16, 640)
    assert c3["EbsInfo"]["EbsOptimizedSupport"] == "unsupported"
    p2 = types["p2.16xlarge"]
    assert p2["GpuInfo"]["Gpus"] == [{"Name": "K80", "Manufacturer": "NVIDIA", "Count": 16, "MemoryInfo": {"SizeInMiB": 12288}}]
    assert p2["NetworkInfo"]["EnaSupport"] == "supported"
    assert types["x1e.32xlarge"]["MemoryInfo"]["SizeInMiB"] == 3904 * 1024

    # Offered in the older regions and zones only.
    zonal = ec2.describe_instance_type_offerings(LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["m1.small"]}])
    assert sorted(o["Location"] for o in zonal["InstanceTypeOfferings"]) == [f"us-east-1{z}" for z in "abcd"]
    ohio = server.ec2("us-east-2")
    with pytest.raises(ClientError) as ei:
        ohio.describe_instance_types(InstanceTypes=["m1.small"])
    assert error_of(ei)[0] == "InvalidInstanceType"
    assert ohio.describe_instance_types(InstanceTypes=["m1.small"], IncludeUnsupportedInRegion=True)["InstanceTypes"][0]["SupportedInRegion"] is False

    # Launchable where offered; EC2's default type (m1.small) when none is named; Unsupported elsewhere.
    image = minimal_ami(ec2)
    launched = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    assert launched["InstanceType"] == "m1.small" and launched["Placement"]["AvailabilityZone"] == "us-east-1a"
    m4_instance = ec2.run_instances(ImageId=image, InstanceType="m4.large", MinCount=1, MaxCount=1)["Instances"][0]
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=image, InstanceType="c3.large", MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "us-east-1f"})
    code, message, _ = error_of(ei)
    assert code == "Unsupported" and "us-east-1a, us-east-1b, us-east-1c, us-east-1d" in message
    assert ohio.run_instances(ImageId=minimal_ami(ohio), MinCount=1, MaxCount=1)["Instances"][0]["InstanceType"] == "t2.micro"

    # Spot prices exist for the new families.
    history = ec2.describe_spot_price_history(InstanceTypes=["m4.large", "c3.large"], ProductDescriptions=["Linux/UNIX"], MaxResults=50)["SpotPriceHistory"]
    assert {h["InstanceType"] for h in history} == {"m4.large", "c3.large"} and all(float(h["SpotPrice"]) > 0 for h in history)

    # The aws CLI lists them by the current-generation filter.
    p = server.cli("--profile", "stratus", "ec2", "describe-instance-types", "--filters", "Name=current-generation,Values=false",
                   "Name=instance-type,Values=t1.*", "--query", "InstanceTypes[].InstanceType", "--output", "text", check=True)
    assert p.stdout.split() == ["t1.micro"]
    ec2.terminate_instances(InstanceIds=[launched["InstanceId"], m4_instance["InstanceId"]])
