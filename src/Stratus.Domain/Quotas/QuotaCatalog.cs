namespace Stratus.Domain.Quotas;

/// <summary>A service that has quotas (Service Quotas' <c>ServiceInfo</c>).</summary>
public sealed record QuotaService(string Code, string Name);

/// <summary>The CloudWatch usage metric AWS names for a quota (Service Quotas' <c>MetricInfo</c>).</summary>
public sealed record QuotaUsageMetric(string Namespace, string Name, IReadOnlyDictionary<string, string> Dimensions, string StatisticRecommendation);

/// <summary>
/// One quota: its service and code as AWS names them, AWS's default value
/// (<c>GetAWSDefaultServiceQuota</c>) and the value a Stratus account starts with
/// (<see cref="AccountDefault"/>, what AWS gives an established account), whether it can be
/// adjusted and whether it is global (per account) rather than per region.
/// </summary>
public sealed record QuotaDefinition(
    QuotaService Service,
    string Code,
    string Name,
    double AwsDefault,
    double AccountDefault,
    bool Adjustable = true,
    bool Global = false,
    string Unit = "None",
    QuotaUsageMetric? Usage = null)
{
    public string ServiceCode => Service.Code;

    /// <summary>The quota's ARN: <c>arn:aws:servicequotas:&lt;region&gt;:&lt;account&gt;:&lt;service&gt;/&lt;code&gt;</c> (AWS leaves the account out of the default's ARN).</summary>
    public string Arn(string region, string? accountId) => $"arn:aws:servicequotas:{region}:{accountId}:{ServiceCode}/{Code}";
}

/// <summary>
/// The quotas Stratus keeps and enforces, with AWS's codes, names and defaults: EC2's vCPU-based
/// instance buckets (on-demand and Spot), Elastic IPs, and the VPC quotas of resources Stratus has.
/// Values are per account and region unless <see cref="QuotaDefinition.Global"/>.
/// </summary>
public static class QuotaCatalog
{
    public static readonly QuotaService Ec2 = new("ec2", "Amazon Elastic Compute Cloud (Amazon EC2)");
    public static readonly QuotaService Vpc = new("vpc", "Amazon Virtual Private Cloud (Amazon VPC)");

    /// <summary>The vCPUs an established account may run per bucket in Stratus unless adjusted (AWS's new-account default is 5 for standard and 0 for the others).</summary>
    public const double EstablishedStandardVcpus = 1152, EstablishedAcceleratedVcpus = 128;

    public static readonly QuotaDefinition StandardOnDemand = OnDemand("L-1216C47A", "Standard (A, C, D, H, I, M, R, T, Z)", "Standard", 5, EstablishedStandardVcpus);
    public static readonly QuotaDefinition FOnDemand = OnDemand("L-74FC7D96", "F", "F", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition GOnDemand = OnDemand("L-DB2E81BA", "G and VT", "G", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition POnDemand = OnDemand("L-417A185B", "P", "P", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition XOnDemand = OnDemand("L-7295265B", "X", "X", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition InfOnDemand = OnDemand("L-1945791B", "Inf", "Inf", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition DlOnDemand = OnDemand("L-6E869C2A", "DL", "DL", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition TrnOnDemand = OnDemand("L-2C3B7624", "Trn", "Trn", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition HpcOnDemand = OnDemand("L-F7808C92", "HPC", "HPC", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition HighMemoryOnDemand = OnDemand("L-43DA4232", "High Memory", "HighMem", 0, 0);

    public static readonly QuotaDefinition StandardSpot = Spot("L-34B43A08", "Standard (A, C, D, H, I, M, R, T, Z)", "Standard", 5, EstablishedStandardVcpus);
    public static readonly QuotaDefinition FSpot = Spot("L-88CF9481", "F", "F", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition GSpot = Spot("L-3819A6DF", "G and VT", "G", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition PSpot = Spot("L-7212CCBC", "P", "P", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition XSpot = Spot("L-E3A00192", "X", "X", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition InfSpot = Spot("L-B5D1601B", "Inf", "Inf", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition DlSpot = Spot("L-85EED4F7", "DL", "DL", 0, EstablishedAcceleratedVcpus);
    public static readonly QuotaDefinition TrnSpot = Spot("L-6B0D517C", "Trn", "Trn", 0, EstablishedAcceleratedVcpus);

    public static readonly QuotaDefinition ElasticIps = new(Ec2, "L-0263D0A3", "EC2-VPC Elastic IPs", 5, 5);

    public static readonly QuotaDefinition VpcsPerRegion = new(Vpc, "L-F678F1CE", "VPCs per Region", 5, 5);
    public static readonly QuotaDefinition InternetGatewaysPerRegion = new(Vpc, "L-A4707A72", "Internet gateways per Region", 5, 5);
    public static readonly QuotaDefinition SecurityGroupsPerRegion = new(Vpc, "L-E79EC296", "VPC security groups per Region", 2500, 2500);
    public static readonly QuotaDefinition RulesPerSecurityGroup = new(Vpc, "L-0EA8095F", "Inbound or outbound rules per security group", 60, 60);
    public static readonly QuotaDefinition SecurityGroupsPerInterface = new(Vpc, "L-2AFB9258", "Security groups per network interface", 5, 5);
    public static readonly QuotaDefinition CidrBlocksPerVpc = new(Vpc, "L-83CA0A9D", "IPv4 CIDR blocks per VPC", 5, 5);
    public static readonly QuotaDefinition SubnetsPerVpc = new(Vpc, "L-407747CB", "Subnets per VPC", 200, 200);
    public static readonly QuotaDefinition NetworkInterfacesPerRegion = new(Vpc, "L-DF5E4CA3", "Network interfaces per Region", 5000, 5000);

    public static IReadOnlyList<QuotaService> Services { get; } = [Ec2, Vpc];

    public static IReadOnlyList<QuotaDefinition> All { get; } =
    [
        StandardOnDemand, FOnDemand, GOnDemand, POnDemand, XOnDemand, InfOnDemand, DlOnDemand, TrnOnDemand, HpcOnDemand, HighMemoryOnDemand,
        StandardSpot, FSpot, GSpot, PSpot, XSpot, InfSpot, DlSpot, TrnSpot,
        ElasticIps,
        VpcsPerRegion, InternetGatewaysPerRegion, SecurityGroupsPerRegion, RulesPerSecurityGroup, SecurityGroupsPerInterface, CidrBlocksPerVpc,
        SubnetsPerVpc, NetworkInterfacesPerRegion,
    ];

    public static QuotaService? FindService(string serviceCode) => Services.FirstOrDefault(s => s.Code == serviceCode);

    public static QuotaDefinition? Find(string serviceCode, string quotaCode) =>
        All.FirstOrDefault(q => q.ServiceCode == serviceCode && q.Code == quotaCode);

    /// <summary>The quotas of one service, ordered by code as Service Quotas lists them.</summary>
    public static IReadOnlyList<QuotaDefinition> OfService(string serviceCode) =>
        All.Where(q => q.ServiceCode == serviceCode).OrderBy(q => q.Code, StringComparer.Ordinal).ToList();

    private static QuotaDefinition OnDemand(string code, string families, string metricClass, double awsDefault, double accountDefault) =>
        new(Ec2, code, $"Running On-Demand {families} instances", awsDefault, accountDefault, Usage: VcpuMetric(metricClass + "/OnDemand"));

    private static QuotaDefinition Spot(string code, string families, string metricClass, double awsDefault, double accountDefault) =>
        new(Ec2, code, $"All {families} Spot Instance Requests", awsDefault, accountDefault, Usage: VcpuMetric(metricClass + "/Spot"));

    private static QuotaUsageMetric VcpuMetric(string usageClass) => new("AWS/Usage", "ResourceCount",
        new Dictionary<string, string>(StringComparer.Ordinal) { ["Class"] = usageClass, ["Resource"] = "vCPU", ["Service"] = "EC2", ["Type"] = "Resource" },
        "Maximum");
}
