using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Stratus.Cli;
using Stratus.Domain.Accounts;
using Stratus.Domain.Quotas;
using Stratus.Runtime;
using Stratus.Runtime.Host;
using Stratus.Runtime.Images;
using Stratus.Server;
using Stratus.Store.Sqlite;

var defaults = new ServerOptions();

var dataDir = new Option<string>("--data-dir")
{
    Description = $"Directory holding Stratus's state (SQLite database). Default: {defaults.DataDirectory}",
    DefaultValueFactory = _ => defaults.DataDirectory,
};
var urls = new Option<string>("--urls")
{
    Description = $"URL(s) to listen on, ';'-separated. Default: {defaults.Urls}",
    DefaultValueFactory = _ => defaults.Urls,
};
var noAuth = new Option<bool>("--no-auth") { Description = "Accept unsigned requests and act as the first account (signatures are verified by default)." };
var noProfile = new Option<bool>("--no-profile") { Description = "Do not write the AWS CLI profile into $HOME/.aws." };
var profile = new Option<string>("--profile")
{
    Description = $"Name of the AWS CLI profile to write. Default: {defaults.ProfileName}",
    DefaultValueFactory = _ => defaults.ProfileName,
};
var region = new Option<string>("--region")
{
    Description = $"Region written into the profile. Default: {defaults.DefaultRegion}",
    DefaultValueFactory = _ => defaults.DefaultRegion,
};
var optInRegions = new Option<string[]>("--opt-in-region")
{
    Description = "Enable an opt-in region (af-south-1, ap-east-1, ...) for every account; repeatable. Others report not-opted-in.",
    AllowMultipleArgumentsPerToken = false,
};
var logFormat = new Option<string>("--log-format")
{
    Description = "Log format: text or json.",
    DefaultValueFactory = _ => "text",
};
logFormat.AcceptOnlyFromAmong("text", "json");

var runtimeName = new Option<string>("--runtime")
{
    Description = "Instance runtime: auto (the best this host offers: container, else microvm, else mock), container (system containers under crun), " +
        "microvm (QEMU microVMs; KVM when it boots guests, TCG otherwise) or mock (API only: instances go through EC2's states, no guest runs).",
    DefaultValueFactory = _ => "auto",
};
runtimeName.AcceptOnlyFromAmong(RuntimeSelection.Names);
var mockBoot = new Option<double>("--mock-boot-seconds")
{
    Description = "How long the mock runtime takes to boot or shut down an instance. Default: 1.",
    DefaultValueFactory = _ => 1.0,
};

var metadataPort = new Option<int?>("--metadata-port")
{
    Description = "TCP port of the instance metadata service on all IPv4 addresses (guests reach it as 169.254.169.254:80); 0 turns it off. Default: a free port chosen at start.",
};

var imageDir = new Option<string>("--image-dir")
{
    Description = "Directory of guest images. Default: $STRATUS_IMAGE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/stratus/images.",
    DefaultValueFactory = _ => ImageBuilder.DefaultImageDirectory(),
};

var hostsFile = new Option<string>("--hosts-file")
{
    Description = "Hosts file in which load balancers' DNS names are kept (a block of this server's, removed at exit); none keeps none. Default: /etc/hosts when run as root, else none.",
    DefaultValueFactory = _ => Environment.UserName == "root" ? "/etc/hosts" : "none",
};

var alarmInterval = new Option<double>("--alarm-evaluation-seconds")
{
    Description = "How often CloudWatch alarms are evaluated, in seconds. Default: 60.",
    DefaultValueFactory = _ => 60,
};

var spotNotice = new Option<double>("--spot-notice-seconds")
{
    Description = "How long a Spot interruption notice shows in the instance's metadata before Stratus carries it out, in seconds. Default: 120 (as on EC2).",
    DefaultValueFactory = _ => 120,
};
var spotInterval = new Option<double>("--spot-evaluation-seconds")
{
    Description = "How often Spot requests, prices and due interruptions are evaluated, in seconds. Default: 5.",
    DefaultValueFactory = _ => 5,
};

var metricsInterval = new Option<double>("--metrics-interval-seconds")
{
    Description = "How often each running instance's AWS/EC2 metrics are sampled, in seconds. Default: 60.",
    DefaultValueFactory = _ => 60,
};

var flowLogInterval = new Option<double?>("--flow-log-interval-seconds")
{
    Description = "How long VPC flow logs aggregate records before delivering them to CloudWatch Logs, in seconds (1-600). Default: each flow log's MaxAggregationInterval (60 or 600), as AWS.",
};

var trackingMinutes = new Option<string>("--target-tracking-alarm-minutes")
{
    Description = "Minutes of data the high (scale-out) and low (scale-in) alarms of target-tracking scaling policies evaluate, as HIGH,LOW. Default: 3,15 (as AWS).",
    DefaultValueFactory = _ => "3,15",
};

var syncCommits = new Option<bool>("--sync-commits")
{
    Description = "Make every API call that changes state wait until its commit is fsync'd to disk. Default: a call returns once its commit is " +
        "written to the operating system, and commits are fsync'd together within 0.2 s; a crash or kill of Stratus loses nothing either way, " +
        "a power loss or kernel crash at most that last 0.2 s.",
};

var serve = new Command("serve", "Run the EC2 API server (control plane and host in one process, state in SQLite).")
{
    urls, dataDir, noAuth, noProfile, profile, region, optInRegions, logFormat, runtimeName, mockBoot, metadataPort, imageDir, hostsFile, alarmInterval, metricsInterval, spotNotice, spotInterval, trackingMinutes, flowLogInterval, syncCommits,
};
serve.SetAction(async (parse, ct) =>
{
    var images = new GuestImageStore(Path.GetFullPath(parse.GetValue(imageDir)!));
    var options = defaults with
    {
        Urls = parse.GetValue(urls)!,
        DataDirectory = Path.GetFullPath(parse.GetValue(dataDir)!),
        RequireSignatures = !parse.GetValue(noAuth),
        AwsConfigDirectory = parse.GetValue(noProfile) ? null : defaults.AwsConfigDirectory,
        ProfileName = parse.GetValue(profile)!,
        DefaultRegion = parse.GetValue(region)!,
        OptInRegions = (parse.GetValue(optInRegions) ?? []).ToHashSet(StringComparer.Ordinal),
        LogFormat = parse.GetValue(logFormat)!,
        MetadataPort = parse.GetValue(metadataPort) ?? ServerOptions.FreeTcpPort(),
        LocalImages = LocalImages.CatalogEntries(images),
        HostsFile = parse.GetValue(hostsFile) is { } hosts && hosts != "none" ? Path.GetFullPath(hosts) : null,
        AlarmEvaluationInterval = TimeSpan.FromSeconds(parse.GetValue(alarmInterval)),
        MetricsCollectionInterval = TimeSpan.FromSeconds(parse.GetValue(metricsInterval)),
        SpotInterruptionNotice = TimeSpan.FromSeconds(parse.GetValue(spotNotice)),
        SpotEvaluationInterval = TimeSpan.FromSeconds(parse.GetValue(spotInterval)),
        FlowLogInterval = parse.GetValue(flowLogInterval) is { } flowSeconds ? TimeSpan.FromSeconds(flowSeconds) : null,
        TargetTrackingAlarmMinutes = ParseTrackingMinutes(parse.GetValue(trackingMinutes)!),
    };
    if (options.Validate() is { Count: > 0 } errors)
    {
        foreach (var error in errors)
        {
            await Console.Error.WriteLineAsync($"stratus serve: {error}");
        }
        return 2;
    }
    Directory.CreateDirectory(options.DataDirectory);
    await using var store = SqliteStateStore.Open(new SqliteStoreOptions(options.DatabasePath)
    {
        FlushDelay = parse.GetValue(syncCommits) ? null : SqliteStoreOptions.ServerFlushDelay,
    });
    var bootSeconds = parse.GetValue(mockBoot);
    if (bootSeconds is < 0 or > 600)
    {
        await Console.Error.WriteLineAsync("stratus serve: --mock-boot-seconds must be between 0 and 600");
        return 2;
    }
    using var logs = RuntimeSelection.Logging(options.LogFormat);
    var host = new HostRuntimeOptions
    {
        StateDirectory = Path.Combine(options.DataDirectory, "host"),
        ImageDirectory = images.Root,
        MetadataPort = options.MetadataPort,
    };
    var mock = new MockRuntimeOptions { BootTime = TimeSpan.FromSeconds(bootSeconds), ShutdownTime = TimeSpan.FromSeconds(bootSeconds) };
    var (runtime, note) = RuntimeSelection.Create(parse.GetValue(runtimeName)!, host, mock, logs);
    if (runtime is null)
    {
        await Console.Error.WriteLineAsync($"stratus serve: {note}");
        return 2;
    }
    await using var runtimeScope = runtime;
    options = options with { Host = HostReporting.Create(parse.GetValue(runtimeName)!, note, runtime.Name, images) };
    var runtimeLine = $"instance runtime {runtime.Name}: {note}; images in {images.Root} ({string.Join(", ", images.List().Select(i => i.Name + (i.KernelPath is null && i.Manifest.KernelPending ? " (kernel pending)" : "")).DefaultIfEmpty("none built: stratus images build minimal"))})";
    if (options.LogFormat == "json")
    {
        // Every line of a JSON-logged run is JSON, this one included.
#pragma warning disable CA1848, CA2254 // once, at start
        Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logs.CreateLogger("Stratus"), runtimeLine);
#pragma warning restore CA1848, CA2254
    }
    else
    {
        await Console.Out.WriteLineAsync(runtimeLine);
    }
    var app = await StratusHost.CreateAsync(options, store, runtime, Console.Out, ct);
    await app.StartAsync(ct);
    await app.WaitForShutdownAsync(ct);
    return 0;
});

var accountName = new Option<string>("--name") { Description = "A name for the account.", DefaultValueFactory = _ => "account" };
var accountId = new Option<string?>("--account-id") { Description = "The account's 12-digit id (e.g. 123456789012). Default: a random one." };
accountId.Validators.Add(result =>
{
    if (result.GetValueOrDefault<string?>() is { } id && !AccountService.IsValidAccountId(id))
    {
        result.AddError($"--account-id: '{id}' is not an account id: it must be 12 digits.");
    }
});
var accountCreate = new Command("create", "Create an account with a root access key and print its credentials as JSON.") { dataDir, accountName, accountId };
accountCreate.SetAction(async (parse, ct) =>
{
    await using var store = await OpenStoreAsync(parse.GetValue(dataDir)!, ct);
    AccountCredentials created;
    try
    {
        created = await new AccountService(store, TimeProvider.System).CreateAsync(parse.GetValue(accountName)!, parse.GetValue(accountId), ct);
    }
    catch (InvalidOperationException e)
    {
        await Console.Error.WriteLineAsync($"stratus account create: {e.Message}");
        return 1;
    }
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        created.Account.AccountId,
        created.Account.Name,
        created.AccessKey.AccessKeyId,
        created.AccessKey.SecretAccessKey,
    }, new JsonSerializerOptions { WriteIndented = true }));
    return 0;
});
var accountList = new Command("list", "List accounts.") { dataDir };
accountList.SetAction(async (parse, ct) =>
{
    await using var store = await OpenStoreAsync(parse.GetValue(dataDir)!, ct);
    foreach (var account in await new AccountService(store, TimeProvider.System).ListAsync(ct))
    {
        Console.WriteLine($"{account.AccountId}  {account.Name}  created {account.CreatedAt:u}");
    }
    return 0;
});

var quotaAccount = new Option<string?>("--account-id") { Description = "The account (default: the first account, the one serve's profile uses)." };
var quotaRegion = new Option<string>("--region")
{
    Description = $"Region of the quota (global quotas ignore it). Default: {defaults.DefaultRegion}",
    DefaultValueFactory = _ => defaults.DefaultRegion,
};
var quotaService = new Option<string>("--service-code")
{
    Description = $"Service of the quota: {string.Join(", ", QuotaCatalog.Services.Select(s => s.Code))}. Default: ec2.",
    DefaultValueFactory = _ => "ec2",
};
var quotaCode = new Argument<string>("quota-code") { Description = "The quota code, e.g. L-1216C47A (Running On-Demand Standard instances, in vCPUs)." };
var quotaValue = new Argument<double>("value") { Description = "The new value." };
var quotasSet = new Command("set", "Set a quota of an account in a region (also while the server runs); lower values apply to new launches only.")
{
    quotaCode, quotaValue, dataDir, quotaAccount, quotaRegion, quotaService,
};
quotasSet.SetAction(async (parse, ct) => await RunQuotaCommandAsync(async () =>
{
    await using var store = await OpenStoreAsync(parse.GetValue(dataDir)!, ct);
    var scope = await QuotaScopeAsync(store, parse.GetValue(quotaAccount), parse.GetValue(quotaRegion)!, ct);
    var quota = AccountQuotas.Require(parse.GetValue(quotaService), parse.GetValue(quotaCode));
    await using var tx = await store.BeginWriteAsync(ct);
    await AccountQuotas.SetAsync(tx, scope, quota, parse.GetValue(quotaValue), DateTime.UtcNow, ct);
    await tx.CommitAsync(ct);
    Console.WriteLine($"{quota.ServiceCode} {quota.Code} ({quota.Name}) = {parse.GetValue(quotaValue)} for account {scope.AccountId}{(quota.Global ? "" : " in " + scope.Region)}");
}));
var quotasList = new Command("list", "List the quotas of a service with the values that apply to an account in a region.")
{
    dataDir, quotaAccount, quotaRegion, quotaService,
};
quotasList.SetAction(async (parse, ct) => await RunQuotaCommandAsync(async () =>
{
    await using var store = await OpenStoreAsync(parse.GetValue(dataDir)!, ct);
    var scope = await QuotaScopeAsync(store, parse.GetValue(quotaAccount), parse.GetValue(quotaRegion)!, ct);
    await using var read = await store.OpenReadAsync(ct);
    Console.WriteLine($"{"CODE",-11} {"VALUE",12} {"AWS DEFAULT",12}  NAME");
    foreach (var q in await AccountQuotas.ListAsync(read, scope, parse.GetValue(quotaService)!, ct))
    {
        Console.WriteLine($"{q.Definition.Code,-11} {q.Value,12} {q.Definition.AwsDefault,12}  {q.Definition.Name}");
    }
}));

var force = new Option<bool>("--force") { Description = "Rebuild (or replace) even when a current image exists." };
var buildName = new Argument<string>("name") { Description = $"The image to build: {string.Join(", ", ImageBuilder.BuildableImages)}." };
buildName.AcceptOnlyFromAmong([.. ImageBuilder.BuildableImages]);
var skipKernel = new Option<bool>("--skip-kernel")
{
    Description = "Do not build the guest kernel now (5-13 minutes on 2 cores the first time): the image gets the cached kernel if there is one, " +
        "else none until it is built. System containers need no kernel; the microvm runtime builds it in the background when an image lacks it.",
};
var imagesBuild = new Command("build", "Build a guest image (and the Stratus guest kernel it boots) into the image directory. Needs root.")
{
    buildName, imageDir, force, skipKernel,
};
imagesBuild.SetAction(async (parse, ct) => await RunImageCommandAsync(async () =>
{
    var builder = new ImageBuilder(new GuestImageStore(Path.GetFullPath(parse.GetValue(imageDir)!)), Console.Out);
    var image = await builder.BuildAsync(parse.GetValue(buildName)!, parse.GetValue(force), withKernel: !parse.GetValue(skipKernel), ct);
    Console.WriteLine(image.Directory);
}));
var importName = new Argument<string>("name") { Description = "Name of the new image (a-z, 0-9, '.', '_', '-')." };
var importFile = new Argument<string>("file") { Description = "A raw or qcow2 disk holding an ext4 filesystem (no partition table), or a root filesystem tarball (.tar, .tar.gz, .tar.xz, .tar.zst)." };
var importKernel = new Option<string?>("--kernel") { Description = "A PVH-bootable vmlinux for the image. Default: the Stratus guest kernel." };
var importLogin = new Option<string?>("--login-user") { Description = "The user that gets the key pair's public key. Default: guessed from the image's /etc/passwd, else ec2-user." };
var importInit = new Option<string?>("--init") { Description = "PID 1 of a container instance. Default: /sbin/init." };
var importArgs = new Option<string?>("--kernel-args") { Description = "Extra kernel command-line arguments." };
var importDescription = new Option<string?>("--description") { Description = "Description of the image (and its AMI)." };
var imagesImport = new Command("import", "Import a disk or root filesystem tarball as a guest image; the server offers it as a public AMI named after it. Needs root.")
{
    importName, importFile, imageDir, importKernel, importLogin, importInit, importArgs, importDescription, force,
};
imagesImport.SetAction(async (parse, ct) => await RunImageCommandAsync(async () =>
{
    var builder = new ImageBuilder(new GuestImageStore(Path.GetFullPath(parse.GetValue(imageDir)!)), Console.Out);
    var image = await builder.ImportAsync(parse.GetValue(importName)!, parse.GetValue(importFile)!, new ImportOptions
    {
        Kernel = parse.GetValue(importKernel),
        LoginUser = parse.GetValue(importLogin),
        Init = parse.GetValue(importInit),
        KernelArguments = parse.GetValue(importArgs),
        Description = parse.GetValue(importDescription),
        Replace = parse.GetValue(force),
    }, ct);
    Console.WriteLine(image.Directory);
}));
var imagesList = new Command("list", "List the guest images in the image directory.") { imageDir };
imagesList.SetAction(parse =>
{
    var store = new GuestImageStore(Path.GetFullPath(parse.GetValue(imageDir)!));
    var images = store.List();
    if (images.Count == 0)
    {
        Console.WriteLine($"no images in {store.Root} (stratus images build minimal)");
        return 0;
    }
    Console.WriteLine($"{"NAME",-20} {"ORIGIN",-7} {"LOGIN",-10} {"ROOT",5} {"DISK",9} {"KERNEL",-7}  {"BUILT",-20} DESCRIPTION");
    foreach (var image in images)
    {
        var disk = image.DiskPath is { } d && File.Exists(d) ? $"{new FileInfo(d).Length >> 20} MiB" : "-";
        var kernel = image.KernelPath is { } k && File.Exists(k) ? "ready" : image.Manifest.KernelPending ? "pending" : "none";
        Console.WriteLine($"{image.Name,-20} {image.Manifest.Origin ?? "-",-7} {image.Manifest.LoginUser,-10} {image.Manifest.RootGiB + " GiB",5} {disk,9} {kernel,-7}  {image.Manifest.BuiltAt,-20:u} {image.Manifest.Description}");
    }
    return 0;
});

var root = new RootCommand(
    "Stratus: Amazon EC2 as self-hostable software. Point the aws CLI, boto3 or any AWS SDK at it with --endpoint-url " +
    "(or the 'stratus' AWS CLI profile that 'serve' writes) and get EC2's API backed by durable state.")
{
    serve,
    new Command("account", "Manage accounts and their access keys (works while the server runs).") { accountCreate, accountList },
    new Command("quotas", "Show and set an account's service quotas (EC2 vCPUs per instance bucket, Elastic IPs, VPC quotas).") { quotasList, quotasSet },
    new Command("images", "Build, import and list guest images (kernel + root filesystem) that instances boot.") { imagesBuild, imagesImport, imagesList },
    SpotCommands.Spot(dataDir),
    EventCommands.Events(dataDir),
    StatusCommands.Status(),
    StatusCommands.Doctor(imageDir),
};
return await root.Parse(args).InvokeAsync();

static async Task<int> RunImageCommandAsync(Func<Task> action)
{
    try
    {
        await action();
        return 0;
    }
    catch (ImageBuildException e)
    {
        await Console.Error.WriteLineAsync($"stratus images: {e.Message}");
        return 1;
    }
}

static async Task<int> RunQuotaCommandAsync(Func<Task> action)
{
    try
    {
        await action();
        return 0;
    }
    catch (Stratus.Core.AwsException e)
    {
        await Console.Error.WriteLineAsync($"stratus quotas: {e.Message}");
        return 1;
    }
}

static async Task<Stratus.Domain.Resources.Scope> QuotaScopeAsync(Stratus.Domain.Store.IStateStore store, string? accountId, string region, CancellationToken ct)
{
    if (Stratus.Domain.Regions.RegionCatalog.Find(region) is null)
    {
        throw new Stratus.Core.AwsException("InvalidRegion", $"unknown region '{region}'; known: {string.Join(", ", Stratus.Domain.Regions.RegionCatalog.Names)}");
    }
    var accounts = await new AccountService(store, TimeProvider.System).ListAsync(ct);
    var account = accountId is null
        ? accounts.OrderBy(a => a.CreatedAt).ThenBy(a => a.AccountId, StringComparer.Ordinal).FirstOrDefault()
        : accounts.FirstOrDefault(a => a.AccountId == accountId);
    return account is null
        ? throw new Stratus.Core.AwsException("NoSuchAccount", accountId is null ? "no account yet: start the server once or run stratus account create" : $"no account {accountId}")
        : new Stratus.Domain.Resources.Scope(account.AccountId, region);
}

static async Task<Stratus.Domain.Store.IStateStore> OpenStoreAsync(string dataDirectory, CancellationToken ct)
{
    Directory.CreateDirectory(dataDirectory);
    var store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(Path.GetFullPath(dataDirectory), "stratus.db")));
    await store.InitializeAsync(ct);
    return store;
}

// "HIGH,LOW" minutes; anything else becomes (0, 0), which ServerOptions.Validate reports.
static Stratus.Domain.AutoScaling.Policies.TargetTrackingAlarmMinutes ParseTrackingMinutes(string value)
{
    var parts = value.Split(',', StringSplitOptions.TrimEntries);
    return parts.Length == 2 && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var high)
        && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var low)
        ? new(high, low)
        : new(0, 0);
}
