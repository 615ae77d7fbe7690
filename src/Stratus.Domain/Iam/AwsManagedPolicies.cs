namespace Stratus.Domain.Iam;

/// <summary>
/// The AWS-managed policies users name most, as <c>arn:aws:iam::aws:policy/…</c>, with AWS's
/// statements for the services Stratus serves (the actions of other services are kept as AWS
/// writes them; they simply match nothing here), checked against AWS's managed policy reference.
/// Of ElasticLoadBalancingFullAccess and CloudWatchReadOnlyAccess, the statements on services
/// Stratus does not serve beyond those shown (zonal shift, IAM role reads) are left out.
/// </summary>
public static class AwsManagedPolicies
{
    private static readonly DateTime Created = new(2015, 2, 6, 18, 39, 46, DateTimeKind.Utc);

    public static IReadOnlyDictionary<string, ManagedPolicyResource> All { get; } = new[]
    {
        Policy("AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", "/", "Provides full access to AWS services and resources.", "v1",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"""),
        Policy("ReadOnlyAccess", "ANPAILL3HVNFSB6DCOWYQ", "/", "Provides read-only access to AWS services and resources.", "v120",
            """
            {"Version":"2012-10-17","Statement":[{"Sid":"ReadOnlyActions","Effect":"Allow","Action":[
            "autoscaling:Describe*","autoscaling:GetPredictiveScalingForecast",
            "cloudwatch:Describe*","cloudwatch:Get*","cloudwatch:List*",
            "ec2:Describe*","ec2:Get*","ec2:ListImagesInRecycleBin","ec2:ListSnapshotsInRecycleBin","ec2:SearchLocalGatewayRoutes","ec2:SearchTransitGatewayRoutes",
            "elasticloadbalancing:Describe*",
            "iam:Generate*","iam:Get*","iam:List*","iam:Simulate*",
            "logs:Describe*","logs:FilterLogEvents","logs:Get*","logs:ListTagsLogGroup","logs:StartQuery","logs:StopQuery","logs:TestMetricFilter",
            "servicequotas:Get*","servicequotas:List*",
            "ssm:Describe*","ssm:Get*","ssm:List*",
            "sts:GetAccessKeyInfo","sts:GetCallerIdentity","sts:GetSessionToken"],"Resource":"*"}]}
            """),
        Policy("AmazonEC2FullAccess", "ANPAI3VAJF5ZCRZ7MCQE6", "/", "Provides full access to Amazon EC2 via the AWS Management Console.", "v5",
            """
            {"Version":"2012-10-17","Statement":[
            {"Action":"ec2:*","Effect":"Allow","Resource":"*"},
            {"Effect":"Allow","Action":"elasticloadbalancing:*","Resource":"*"},
            {"Effect":"Allow","Action":"cloudwatch:*","Resource":"*"},
            {"Effect":"Allow","Action":"autoscaling:*","Resource":"*"},
            {"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":[
            "autoscaling.amazonaws.com","ec2scheduled.amazonaws.com","elasticloadbalancing.amazonaws.com","spot.amazonaws.com","spotfleet.amazonaws.com","transitgateway.amazonaws.com"]}}}]}
            """),
        Policy("AmazonEC2ReadOnlyAccess", "ANPAIGDT4SV4GSETWTBZK", "/", "Provides read only access to Amazon EC2 via the AWS Management Console.", "v3",
            """
            {"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
            {"Effect":"Allow","Action":"elasticloadbalancing:Describe*","Resource":"*"},
            {"Effect":"Allow","Action":["cloudwatch:ListMetrics","cloudwatch:GetMetricStatistics","cloudwatch:Describe*"],"Resource":"*"},
            {"Effect":"Allow","Action":"autoscaling:Describe*","Resource":"*"}]}
            """),
        Policy("AmazonSSMManagedInstanceCore", "ANPAIXSHM2BNB2D3AXXRU", "/", "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.", "v3",
            """
            {"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["ssm:DescribeAssociation","ssm:GetDeployablePatchSnapshotForInstance","ssm:GetDocument","ssm:DescribeDocument","ssm:GetManifest",
            "ssm:GetParameter","ssm:GetParameters","ssm:ListAssociations","ssm:ListInstanceAssociations","ssm:PutInventory","ssm:PutComplianceItems",
            "ssm:PutConfigurePackageResult","ssm:UpdateAssociationStatus","ssm:UpdateInstanceAssociationStatus","ssm:UpdateInstanceInformation"],"Resource":"*"},
            {"Effect":"Allow","Action":["ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"},
            {"Effect":"Allow","Action":["ec2messages:AcknowledgeMessage","ec2messages:DeleteMessage","ec2messages:FailMessage","ec2messages:GetEndpoint","ec2messages:GetMessages",
            "ec2messages:SendReply"],"Resource":"*"}]}
            """),
        Policy("CloudWatchAgentServerPolicy", "ANPAIGOPKN7KRDAKTLG4I", "/", "Permissions required to use AmazonCloudWatchAgent on servers", "v2",
            """
            {"Version":"2012-10-17","Statement":[
            {"Sid":"CWACloudWatchServerPermissions","Effect":"Allow","Action":["cloudwatch:PutMetricData","ec2:DescribeVolumes","ec2:DescribeTags",
            "logs:PutLogEvents","logs:PutRetentionPolicy","logs:DescribeLogStreams","logs:DescribeLogGroups","logs:CreateLogStream","logs:CreateLogGroup",
            "xray:PutTraceSegments","xray:PutTelemetryRecords","xray:GetSamplingRules","xray:GetSamplingTargets","xray:GetSamplingStatisticSummaries"],"Resource":"*"},
            {"Sid":"CWASSMServerPermissions","Effect":"Allow","Action":["ssm:GetParameter"],"Resource":"arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"}]}
            """),
        Policy("AutoScalingFullAccess", "ANPAIAWRCSJDDXDXGPCFU", "/", "Provides full access to Auto Scaling.", "v2",
            """
            {"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"autoscaling:*","Resource":"*"},
            {"Effect":"Allow","Action":"cloudwatch:PutMetricAlarm","Resource":"*"},
            {"Effect":"Allow","Action":["ec2:DescribeAccountAttributes","ec2:DescribeAvailabilityZones","ec2:DescribeImages","ec2:DescribeInstanceAttribute",
            "ec2:DescribeInstances","ec2:DescribeKeyPairs","ec2:DescribeLaunchTemplateVersions","ec2:DescribePlacementGroups","ec2:DescribeSecurityGroups",
            "ec2:DescribeSpotInstanceRequests","ec2:DescribeSubnets","ec2:DescribeVpcClassicLink"],"Resource":"*"},
            {"Effect":"Allow","Action":["elasticloadbalancing:DescribeLoadBalancers","elasticloadbalancing:DescribeTargetGroups"],"Resource":"*"},
            {"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}}]}
            """),
        Policy("ElasticLoadBalancingFullAccess", "ANPAIDPMLA3IUIOQCISJ4", "/",
            "Provides full access to Amazon ElasticLoadBalancing, and limited access to other services necessary to provide ElasticLoadBalancing features.", "v9",
            """
            {"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"elasticloadbalancing:*","Resource":"*"},
            {"Effect":"Allow","Action":["ec2:DescribeAccountAttributes","ec2:DescribeAddresses","ec2:DescribeInternetGateways","ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets","ec2:DescribeVpcs","ec2:DescribeVpcClassicLink","ec2:DescribeInstances","ec2:DescribeNetworkInterfaces","ec2:DescribeClassicLinkInstances",
            "ec2:DescribeRouteTables","ec2:DescribeCoipPools","ec2:GetCoipPoolUsage","ec2:GetSecurityGroupsForVpc","ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeAvailabilityZones","cognito-idp:DescribeUserPoolClient"],"Resource":"*"},
            {"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"elasticloadbalancing.amazonaws.com"}}}]}
            """),
        Policy("CloudWatchReadOnlyAccess", "ANPAJN23PDQP7SZQAE3QE", "/", "Provides read only access to CloudWatch.", "v10",
            """
            {"Version":"2012-10-17","Statement":[{"Sid":"CloudWatchReadOnlyAccessPermissions","Effect":"Allow","Action":[
            "application-autoscaling:DescribeScalingPolicies","application-signals:BatchGet*","application-signals:Get*","application-signals:List*",
            "autoscaling:Describe*","cloudwatch:BatchGet*","cloudwatch:Describe*","cloudwatch:GenerateQuery","cloudwatch:Get*","cloudwatch:List*",
            "logs:Get*","logs:List*","logs:StartQuery","logs:StopQuery","logs:Describe*","logs:TestMetricFilter","logs:FilterLogEvents","logs:StartLiveTail",
            "logs:StopLiveTail","oam:ListSinks","sns:Get*","sns:List*","rum:BatchGet*","rum:Get*","rum:List*","synthetics:Describe*","synthetics:Get*",
            "synthetics:List*","xray:BatchGet*","xray:Get*","xray:List*","xray:StartTraceRetrieval","xray:CancelTraceRetrieval"],"Resource":"*"},
            {"Sid":"OAMReadPermissions","Effect":"Allow","Action":["oam:ListAttachedLinks"],"Resource":"arn:aws:oam:*:*:sink/*"}]}
            """),
    }.ToDictionary(p => p.Arn, StringComparer.Ordinal);

    public static ManagedPolicyResource? Find(string arn) => All.GetValueOrDefault(arn);

    public static bool IsAwsManaged(string arn) => arn.StartsWith("arn:aws:iam::aws:policy/", StringComparison.Ordinal);

    private static ManagedPolicyResource Policy(string name, string id, string path, string description, string version, string document) => new()
    {
        PolicyName = name,
        PolicyId = id,
        Path = path,
        Arn = $"arn:aws:iam::aws:policy{path}{name}",
        Description = description,
        CreateDate = Created,
        UpdateDate = Created,
        DefaultVersionId = version,
        Versions = [new PolicyVersionRecord(version, System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(document).RootElement), Created)],
    };
}
