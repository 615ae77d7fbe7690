using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Runtime.Images;
using Stratus.Server;

namespace Stratus.Cli;

/// <summary>
/// <c>stratus status</c> (what a running server is doing, from <c>GET /_stratus/status</c>) and
/// <c>stratus doctor</c> (what this host lacks for each runtime, and how to fix it). Both find the
/// server from <c>--endpoint-url</c>, else the <c>endpoint_url</c> of the AWS CLI profile
/// <c>serve</c> wrote (<c>--profile</c>, default <c>stratus</c>), else http://127.0.0.1:4566.
/// </summary>
internal static class StatusCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static Option<string?> EndpointOption() => new("--endpoint-url")
    {
        Description = "The server's URL. Default: endpoint_url of the AWS CLI profile (--profile), else http://127.0.0.1:4566.",
    };

    private static Option<string> ProfileOption() => new("--profile")
    {
        Description = "The AWS CLI profile 'stratus serve' wrote (its endpoint_url and keys are used). Default: stratus.",
        DefaultValueFactory = _ => new ServerOptions().ProfileName,
    };

    private static Option<string> OutputOption()
    {
        var output = new Option<string>("--output") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        return output;
    }

    public static Command Status()
    {
        var endpoint = EndpointOption();
        var profile = ProfileOption();
        var output = OutputOption();
        var command = new Command("status", "Show what the running server is doing: version, endpoint, data directory, store, runtime (and why not the others), " +
            "images, instances by state per region, background work and host resources.")
        {
            endpoint, profile, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var target = ServerTarget.Resolve(parse.GetValue(endpoint), parse.GetValue(profile)!);
            JsonNode? document;
            try
            {
                document = await target.GetJsonAsync("/_stratus/status", ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or StatusException)
            {
                await Console.Error.WriteLineAsync($"stratus status: no answer from {target.Endpoint} ({target.Source}): {e.Message}");
                await Console.Error.WriteLineAsync("  start it with scripts/start.sh or stratus serve; stratus doctor says what the host lacks");
                return 1;
            }
            if (parse.GetValue(output) == "json")
            {
                Console.WriteLine(document!.ToJsonString(Indented));
            }
            else
            {
                WriteStatus(document!);
            }
            return 0;
        });
        return command;
    }

    public static Command Doctor(Option<string> imageDir)
    {
        var endpoint = EndpointOption();
        var profile = ProfileOption();
        var output = OutputOption();
        var command = new Command("doctor", "Check this host for what each instance runtime needs, the guest images and kernel, the aws CLI and the server, " +
            "and say how to fix what is missing. Exits 1 when a check fails.")
        {
            endpoint, profile, output, imageDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var target = ServerTarget.Resolve(parse.GetValue(endpoint), parse.GetValue(profile)!);
            var checks = await Diagnose(target, new GuestImageStore(Path.GetFullPath(parse.GetValue(imageDir)!)), ct);
            if (parse.GetValue(output) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    ok = checks.All(c => c.Level != "fail"),
                    endpoint = target.Endpoint,
                    checks = checks.Select(c => new { name = c.Name, level = c.Level, detail = c.Detail, fix = c.Fix }),
                }, Indented));
            }
            else
            {
                foreach (var check in checks)
                {
                    Console.WriteLine($"{check.Level.ToUpperInvariant(),-4}  {check.Name}: {check.Detail}");
                    if (check.Fix is { } fix)
                    {
                        Console.WriteLine($"      fix: {fix}");
                    }
                }
            }
            return checks.Any(c => c.Level == "fail") ? 1 : 0;
        });
        return command;
    }

    private sealed record Check(string Name, string Level, string Detail, string? Fix = null);

    private static async Task<List<Check>> Diagnose(ServerTarget target, GuestImageStore images, CancellationToken ct)
    {
        var checks = new List<Check>();
        var candidates = HostReporting.Candidates();
        foreach (var candidate in candidates.Where(c => c.Name != "mock"))
        {
            checks.Add(candidate.Available
                ? new Check($"{candidate.Name} runtime", "ok", candidate.Name == "container" ? "root, crun, overlayfs, iproute2 and util-linux are here" : "root, QEMU, qemu-img, e2fsprogs, iproute2, nftables and dnsmasq are here")
                : new Check($"{candidate.Name} runtime", "fail", "unavailable: needs " + string.Join("; ", candidate.Missing), Fixes(candidate.Missing)));
        }
        var best = candidates.First(c => c.Available).Name;
        checks.Add(new Check("runtime choice", best == "mock" ? "warn" : "ok",
            $"stratus serve --runtime auto uses {best}" + (best == "container" ? "" : best == "microvm"
                ? " (system containers unavailable, see above)"
                : " (API only: no guest runs; see above)")));
        if (candidates.Single(c => c.Name == "microvm").Available)
        {
            var kvm = HostReporting.KvmProblem();
            checks.Add(kvm is null
                ? new Check("kvm", "ok", "/dev/kvm opens: microVMs use KVM when a test boot under it succeeds")
                : new Check("kvm", "warn", $"{kvm}; microVMs run under TCG (emulation: boots take seconds, guests are slower)",
                    "enable virtualisation (VT-x/AMD-V; nested virtualisation in a VM) and modprobe kvm_intel or kvm_amd"));
        }

        var list = images.List();
        var minimal = list.FirstOrDefault(i => i.Name == "minimal");
        checks.Add(minimal is null
            ? new Check("images", "fail", $"no minimal image in {images.Root}: real instances have nothing to boot", "sudo stratus images build minimal --skip-kernel (about a minute; the microVM kernel is built when first needed)")
            : new Check("images", "ok", $"{string.Join(", ", list.Select(i => i.Name))} in {images.Root}"));
        var pending = list.Where(i => (i.KernelPath is null || !File.Exists(i.KernelPath)) && i.Manifest.KernelPending).Select(i => i.Name).ToList();
        if (pending.Count > 0)
        {
            var building = GuestKernelBuild.Shared.State;
            checks.Add(new Check("guest kernel", "warn", $"{string.Join(", ", pending)} built without the guest kernel: system containers run them; the microvm runtime builds the kernel (5-13 minutes) at its first start or launch",
                "sudo stratus images build minimal (builds the kernel now and attaches it)" + (building.State == "failed" ? $"; last build failed: {building.LastLine}" : "")));
        }
        if (!File.Exists(Environment.GetEnvironmentVariable("STRATUS_KERNEL_SOURCE") ?? "/usr/src/linux-source-6.1.tar.xz"))
        {
            checks.Add(new Check("kernel source", "warn", "linux-source-6.1 is not installed: the microVM guest kernel cannot be built", "apt-get install linux-source-6.1 bc flex bison build-essential libelf-dev libssl-dev"));
        }

        checks.Add(await AwsCliCheckAsync(target, ct));

        try
        {
            var health = await target.GetJsonAsync("/_stratus/health", ct, allowUnavailable: true);
            var status = health?["status"]?.GetValue<string>();
            checks.Add(new Check("server", status == "ready" ? "ok" : "warn", $"{target.Endpoint} ({target.Source}) answers: {status}, version {health?["version"]}"));
            try
            {
                var document = await target.GetJsonAsync("/_stratus/status", ct);
                var runtime = document?["runtime"];
                var name = runtime?["name"]?.GetValue<string>();
                checks.Add(new Check("server runtime", name == "mock" && best != "mock" ? "warn" : "ok", $"{name}: {runtime?["reason"]}",
                    name == "mock" && best != "mock" ? $"restart the server with --runtime auto to get {best} instances" : null));
            }
            catch (StatusException e)
            {
                checks.Add(new Check("server status", "warn", e.Message));
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or StatusException)
        {
            checks.Add(new Check("server", "warn", $"no server answers at {target.Endpoint} ({target.Source}): {e.Message}", "scripts/start.sh (or stratus serve)"));
        }
        return checks;
    }

    /// <summary>The fix of each missing piece: the probes name the package or command in parentheses.</summary>
    private static string Fixes(IReadOnlyList<string> missing) => string.Join("; ", missing.Select(m =>
    {
        var open = m.IndexOf('(', StringComparison.Ordinal);
        var hint = open >= 0 ? m[(open + 1)..].TrimEnd(')') : m;
        if (m.StartsWith("root", StringComparison.Ordinal))
        {
            return "run as root (sudo)";
        }
        if (m.StartsWith("crun", StringComparison.Ordinal) && File.Exists("/usr/bin/crun"))
        {
            return "/usr/bin/crun exists but is not on PATH: add /usr/bin to PATH";
        }
        return hint;
    }));

    private static async Task<Check> AwsCliCheckAsync(ServerTarget target, CancellationToken ct)
    {
        string? version;
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("aws", "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return new Check("aws CLI", "warn", "not found", "apt-get install awscli");
            }
            var text = await process.StandardOutput.ReadToEndAsync(ct) + await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            version = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => w.StartsWith("aws-cli/", StringComparison.Ordinal))?["aws-cli/".Length..];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new Check("aws CLI", "warn", "not found on PATH", "apt-get install awscli (or any client with --endpoint-url)");
        }
        if (version is null || !Version.TryParse(version, out var parsed))
        {
            return new Check("aws CLI", "warn", $"version not understood ({version})");
        }
        var readsProfile = parsed.Major >= 2 ? parsed >= new Version(2, 13) : parsed >= new Version(1, 29);
        return readsProfile
            ? new Check("aws CLI", "ok", $"{version} reads endpoint_url from the profile: aws --profile {target.Profile} ec2 ... reaches Stratus")
            : new Check("aws CLI", "warn", $"{version} ignores endpoint_url in profiles (v2 needs 2.13+, v1 1.29+): aws --profile {target.Profile} would call real AWS",
                $"pass --endpoint-url {target.Endpoint} on every command, or install a newer aws CLI");
    }

    private static void WriteStatus(JsonNode d)
    {
        string S(JsonNode? n) => n?.ToString() ?? "-";
        var uptime = TimeSpan.FromSeconds(d["uptimeSeconds"]?.GetValue<double>() ?? 0);
        Console.WriteLine($"Stratus {S(d["version"])} at {S(d["endpoint"])}: {S(d["status"])}, up {(int)uptime.TotalHours}h {uptime.Minutes:00}m {uptime.Seconds:00}s");
        var store = d["store"];
        Console.WriteLine($"  data directory  {S(d["dataDirectory"])}");
        Console.WriteLine($"  store           {S(store?["kind"])} {S(store?["path"])} ({Bytes(store?["sizeBytes"])}), {S(store?["state"])}");
        var runtime = d["runtime"];
        Console.WriteLine($"  runtime         {S(runtime?["name"])} ({S(runtime?["state"])}; asked: {S(runtime?["requested"])}): {S(runtime?["reason"])}");
        if (runtime?["accelerator"] is { } accel)
        {
            Console.WriteLine($"                  accelerator: {accel}");
        }
        foreach (var candidate in runtime?["candidates"]?.AsArray() ?? [])
        {
            var missing = candidate?["missing"]?.AsArray().Select(m => m?.ToString()).ToList() ?? [];
            var state = candidate?["chosen"]?.GetValue<bool>() == true ? "in use" : missing.Count == 0 ? "available" : "unavailable: needs " + string.Join("; ", missing);
            Console.WriteLine($"                  {S(candidate?["name"]),-10} {state}");
        }
        Console.WriteLine($"  network         {S(d["network"])}");
        var imds = d["metadataService"];
        Console.WriteLine($"  metadata        {S(imds?["state"])}{(imds?["port"] is { } port ? " on port " + port : "")}");
        var images = d["images"];
        var items = images?["items"]?.AsArray().Select(i => $"{S(i?["name"])} (kernel {S(i?["kernel"])})").ToList() ?? [];
        Console.WriteLine($"  images          {(items.Count == 0 ? "none" : string.Join(", ", items))} in {S(images?["directory"])}");
        var instances = d["instances"];
        Console.WriteLine($"  instances       {S(instances?["total"])}");
        foreach (var (region, states) in instances?["byRegion"]?.AsObject() ?? [])
        {
            Console.WriteLine($"                  {region,-15} {string.Join(", ", states!.AsObject().Select(s => $"{s.Value} {s.Key}"))}");
        }
        foreach (var work in d["backgroundWork"]?.AsArray() ?? [])
        {
            Console.WriteLine($"  background      {S(work?["name"])}: {S(work?["state"])}{(work?["detail"] is { } detail ? " (" + detail + ")" : "")}");
        }
        var host = d["host"];
        var load = host?["loadAverage"]?.AsArray().Select(S) ?? [];
        Console.WriteLine($"  host            {S(host?["cpus"])} CPUs, load {string.Join(" ", load)}, memory {Bytes(host?["memoryAvailableBytes"])} available of {Bytes(host?["memoryTotalBytes"])}, " +
            $"data disk {Bytes(host?["dataDiskFreeBytes"])} free");
        Console.WriteLine($"  server process  {Bytes(host?["processResidentBytes"])} resident, {S(host?["processCpuSeconds"])} s CPU");
    }

    private static string Bytes(JsonNode? node)
    {
        if (node is null)
        {
            return "-";
        }
        var value = node.GetValue<long>();
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double size = value;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{size:0.#} {units[unit]}");
    }

    private sealed class StatusException(string message) : Exception(message);

    /// <summary>The server to ask and how: its endpoint and, when the profile has them, keys to sign with.</summary>
    private sealed record ServerTarget(string Endpoint, string Source, string Profile, string? AccessKeyId, string? SecretAccessKey, string Region)
    {
        public static ServerTarget Resolve(string? endpoint, string profile)
        {
            var home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var configPath = Environment.GetEnvironmentVariable("AWS_CONFIG_FILE") ?? Path.Combine(home, ".aws", "config");
            var credentialsPath = Environment.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE") ?? Path.Combine(home, ".aws", "credentials");
            var config = ReadIni(configPath, profile == "default" ? "default" : "profile " + profile);
            var credentials = ReadIni(credentialsPath, profile);
            var source = endpoint is not null ? "--endpoint-url" : config.ContainsKey("endpoint_url") ? $"profile {profile} in {configPath}" : "default";
            endpoint ??= config.GetValueOrDefault("endpoint_url") ?? "http://127.0.0.1:4566";
            return new ServerTarget(endpoint.TrimEnd('/'), source, profile, credentials.GetValueOrDefault("aws_access_key_id"),
                credentials.GetValueOrDefault("aws_secret_access_key"), config.GetValueOrDefault("region") ?? "us-east-1");
        }

        private static Dictionary<string, string> ReadIni(string path, string section)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!File.Exists(path))
            {
                return values;
            }
            var inSection = false;
            foreach (var raw in File.ReadLines(path))
            {
                var line = raw.Trim();
                if (line.StartsWith('['))
                {
                    inSection = line.Trim('[', ']').Trim() == section;
                }
                else if (inSection && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
                {
                    values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
                }
            }
            return values;
        }

        public async Task<JsonNode?> GetJsonAsync(string path, CancellationToken ct, bool allowUnavailable = false)
        {
            var uri = new Uri(Endpoint + path);
            using var handler = new SocketsHttpHandler { UseProxy = false };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
            if (!loopback && AccessKeyId is not null && SecretAccessKey is not null)
            {
                Sign(request, uri);
            }
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode && !(allowUnavailable && response.StatusCode == HttpStatusCode.ServiceUnavailable))
            {
                throw new StatusException($"{(int)response.StatusCode} {body.Trim()}");
            }
            return JsonNode.Parse(body);
        }

        /// <summary>Signature Version 4 for a GET without a body (scope: ec2 in the profile's region).</summary>
        private void Sign(HttpRequestMessage request, Uri uri)
        {
            var now = DateTime.UtcNow;
            var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            var date = amzDate[..8];
            var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
            var payloadHash = Convert.ToHexStringLower(SHA256.HashData([]));
            var canonical = $"GET\n{uri.AbsolutePath}\n\nhost:{host}\nx-amz-date:{amzDate}\n\nhost;x-amz-date\n{payloadHash}";
            var scope = $"{date}/{Region}/ec2/aws4_request";
            var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
            var key = Encoding.UTF8.GetBytes("AWS4" + SecretAccessKey);
            foreach (var part in new[] { date, Region, "ec2", "aws4_request" })
            {
                key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
            }
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
            request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
            request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={AccessKeyId}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}");
        }
    }
}
