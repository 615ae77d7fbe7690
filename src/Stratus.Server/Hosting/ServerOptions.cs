using Stratus.Domain.Regions;

namespace Stratus.Server;

/// <summary>
/// Settings of a Stratus server. Every value has a documented default; <see cref="Validate"/>
/// lists what is wrong before anything starts.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>Where Kestrel listens. Default <c>http://127.0.0.1:4566</c>, the port local AWS emulators use.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:4566";

    /// <summary>Directory of the SQLite database and other state. Default <c>$HOME/.local/share/stratus</c>.</summary>
    public string DataDirectory { get; init; } = DefaultDataDirectory();

    /// <summary>Verify AWS Signature Version 4 on every request (default on). Off: every request acts as the first account.</summary>
    public bool RequireSignatures { get; init; } = true;

    /// <summary>Largest clock difference accepted between a request's signing time and the server (AWS: 15 minutes).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Directory of the AWS CLI's <c>config</c> and <c>credentials</c> files to write the profile into; null writes none. Default <c>$HOME/.aws</c>.</summary>
    public string? AwsConfigDirectory { get; init; } = DefaultAwsConfigDirectory();

    /// <summary>Name of the AWS CLI profile written on start. Default <c>stratus</c>.</summary>
    public string ProfileName { get; init; } = "stratus";

    /// <summary>Region written into the profile. Default <c>us-east-1</c>.</summary>
    public string DefaultRegion { get; init; } = RegionCatalog.DefaultRegion;

    /// <summary>
    /// Opt-in regions (af-south-1, ap-east-1, ...) enabled for every account: DescribeRegions
    /// reports them <c>opted-in</c> and requests may be signed for them. The others report
    /// <c>not-opted-in</c> and requests scoped to them are refused, as for a new AWS account.
    /// Default: none.
    /// </summary>
    public IReadOnlySet<string> OptInRegions { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The regions requests may be signed for: those enabled by default and <see cref="OptInRegions"/>.</summary>
    public IReadOnlySet<string> EnabledRegions => RegionCatalog.EnabledByDefault.Union(OptInRegions).ToHashSet(StringComparer.Ordinal);

    /// <summary>Log format: <c>text</c> (default) or <c>json</c> (one JSON object per line).</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>
    /// TCP port of the instance metadata service, on all IPv4 addresses of the host (every VPC
    /// forwards <c>169.254.169.254:80</c> to it); 0 (the default) serves none. Only IMDS is served
    /// there, and IMDS only there. <c>stratus serve</c> picks a free port unless told one.
    /// </summary>
    public int MetadataPort { get; init; }

    /// <summary>Guest images built or imported on this host that the catalog does not know: each becomes a public AMI.</summary>
    public IReadOnlyList<Stratus.Domain.Images.CatalogImage> LocalImages { get; init; } = [];

    /// <summary>Largest request body accepted (default 10 MiB); larger ones get 413 RequestEntityTooLarge before being read.</summary>
    public long MaxRequestBodyBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>
    /// Host names (besides IP addresses, <c>localhost</c> and the hosts of <see cref="Urls"/>) that
    /// requests may name in <c>Host</c> when signatures are off (<c>--no-auth</c>).
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>
    /// Address the metadata listener binds. Default <c>127.0.0.1</c>: every VPC's namespace DNATs
    /// <c>169.254.169.254:80</c> to it through the host's uplink route (route_localnet is set on
    /// those links), so guests reach it while other machines do not.
    /// </summary>
    public string MetadataAddress { get; init; } = "127.0.0.1";

    /// <summary>
    /// Hosts file in which load balancers' DNS names are mapped to the addresses their listeners
    /// serve on the host (a marked block owned by this server); null (the default) keeps none.
    /// <c>stratus serve</c> uses <c>/etc/hosts</c> when run as root.
    /// </summary>
    public string? HostsFile { get; init; }

    /// <summary>What the host program reports about the host (runtime choice, images, background work) for <c>/_stratus/status</c>; null: nothing.</summary>
    public Operations.HostReport? Host { get; init; }

    /// <summary>How often CloudWatch alarms are evaluated (default one minute, as in CloudWatch).</summary>
    public TimeSpan AlarmEvaluationInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the host samples each running instance's AWS/EC2 metrics (default one minute).</summary>
    public TimeSpan MetricsCollectionInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a flow log aggregates records before it delivers them; null (the default): each flow
    /// log's MaxAggregationInterval (60 or 600 seconds), as on AWS. Shorter values are for tests.
    /// </summary>
    public TimeSpan? FlowLogInterval { get; init; }

    /// <summary>How long before a Spot interruption is carried out its notice shows in IMDS (default two minutes, as on EC2).</summary>
    public TimeSpan SpotInterruptionNotice { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the Spot controller evaluates requests, prices and due interruptions (default five seconds).</summary>
    public TimeSpan SpotEvaluationInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Minutes of data the alarms of target-tracking scaling policies evaluate: the high alarm
    /// (scale out) and the low alarm (scale in). Default 3 and 15, as AWS creates them; smaller
    /// values make the loop answer quicker (CI, demonstrations), and DescribeAlarms shows them.
    /// </summary>
    public Stratus.Domain.AutoScaling.Policies.TargetTrackingAlarmMinutes TargetTrackingAlarmMinutes { get; init; } = Stratus.Domain.AutoScaling.Policies.TargetTrackingAlarmMinutes.Aws;

    public string DatabasePath => Path.Combine(DataDirectory, "stratus.db");

    /// <summary>The CloudWatch database (metrics, alarms, dashboards), beside the state database.</summary>
    public string CloudWatchDatabasePath => Path.Combine(DataDirectory, "cloudwatch.db");

    /// <summary>The CloudWatch Logs database (log groups, streams and events), beside the state database.</summary>
    public string LogsDatabasePath => Path.Combine(DataDirectory, "logs.db");

    /// <summary>The first URL clients should use (the first of <see cref="Urls"/>, with a wildcard host made loopback).</summary>
    public string PublicEndpoint
    {
        get
        {
            var first = Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "http://127.0.0.1:4566";
            return first.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
                .TrimEnd('/');
        }
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var normalized = url.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal);
            if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"--urls: '{url}' is not an http(s) URL");
            }
        }
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("--data-dir must not be empty");
        }
        foreach (var optIn in OptInRegions)
        {
            if (RegionCatalog.Find(optIn) is not { OptInRequired: true })
            {
                errors.Add($"--opt-in-region: '{optIn}' is not an opt-in region; opt-in regions: {string.Join(", ", RegionCatalog.All.Where(r => r.OptInRequired).Select(r => r.Name))}");
            }
        }
        if (RegionCatalog.Find(DefaultRegion) is { OptInRequired: true } && !OptInRegions.Contains(DefaultRegion))
        {
            errors.Add($"--region: '{DefaultRegion}' is an opt-in region; enable it with --opt-in-region {DefaultRegion}");
        }
        if (RegionCatalog.Find(DefaultRegion) is null)
        {
            errors.Add($"--region: unknown region '{DefaultRegion}'; known: {string.Join(", ", RegionCatalog.Names)}");
        }
        if (LogFormat is not ("text" or "json"))
        {
            errors.Add($"--log-format: '{LogFormat}' must be text or json");
        }
        if (MetadataPort is < 0 or > 65535)
        {
            errors.Add($"--metadata-port: {MetadataPort} is not a TCP port (0 turns the metadata service off)");
        }
        else if (MetadataPort > 0 && Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(u => Uri.TryCreate(u.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) && uri.Port == MetadataPort))
        {
            errors.Add($"--metadata-port: {MetadataPort} is also an API port (--urls)");
        }
        if (AlarmEvaluationInterval < TimeSpan.FromMilliseconds(100) || MetricsCollectionInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add("--alarm-evaluation-seconds and --metrics-interval-seconds must be at least 0.1");
        }
        if (FlowLogInterval is { } flowLogInterval && (flowLogInterval < TimeSpan.FromSeconds(1) || flowLogInterval > TimeSpan.FromSeconds(600)))
        {
            errors.Add("--flow-log-interval-seconds must be between 1 and 600");
        }
        if (SpotInterruptionNotice < TimeSpan.Zero || SpotEvaluationInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add("--spot-notice-seconds must not be negative and --spot-evaluation-seconds must be at least 0.1");
        }
        if (TargetTrackingAlarmMinutes.High is < 1 or > 60 || TargetTrackingAlarmMinutes.Low is < 1 or > 60)
        {
            errors.Add("--target-tracking-alarm-minutes: both values must be between 1 and 60 (AWS: 3,15)");
        }
        if (MaxClockSkew <= TimeSpan.Zero)
        {
            errors.Add("the allowed clock skew must be positive");
        }
        if (string.IsNullOrWhiteSpace(ProfileName) || ProfileName.Any(c => char.IsWhiteSpace(c) || c is '[' or ']'))
        {
            errors.Add($"--profile: '{ProfileName}' is not a valid profile name");
        }
        return errors;
    }

    /// <summary>A TCP port free on all IPv4 addresses right now (for the metadata port when none is given).</summary>
    public static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Home() => Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home
        ? home
        : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string DefaultDataDirectory() =>
        Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? Path.Combine(xdg, "stratus")
            : Path.Combine(Home(), ".local", "share", "stratus");

    private static string DefaultAwsConfigDirectory() => Path.Combine(Home(), ".aws");
}
