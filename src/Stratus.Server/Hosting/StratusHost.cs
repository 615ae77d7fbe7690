using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Stratus.Domain.Accounts;
using Stratus.Domain.Images;
using Stratus.Domain.Instances;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Protocol;
using Stratus.Server.Ec2;
using Stratus.Server.Gateway;
using Stratus.Server.Hosting;
using Stratus.Server.Imds;
using Stratus.Server.Instances;
using Stratus.Server.Operations;
using Stratus.Server.WebConsole;

namespace Stratus.Server;

/// <summary>
/// Wires a Stratus server: the store, the account bootstrap (first account, root key, AWS CLI
/// profile), the EC2 endpoint on Kestrel and logging. Nothing here holds logic of its own.
/// </summary>
public static class StratusHost
{
    public static Task<WebApplication> CreateAsync(ServerOptions options, IStateStore store, IInstanceRuntime runtime, TextWriter console, CancellationToken ct = default) =>
        CreateAsync(options, store, runtime, console, TimeProvider.System, ct);

    /// <summary>A server whose clock is <paramref name="clock"/> (tests move it to expire credentials).</summary>
    public static async Task<WebApplication> CreateAsync(ServerOptions options, IStateStore store, IInstanceRuntime runtime, TextWriter console, TimeProvider clock, CancellationToken ct = default)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }
        var phases = new StartupPhases();
        await store.InitializeAsync(ct).ConfigureAwait(false);
        phases.Done("store");
        // Resources written before the store kept index entries, or under older indexing rules.
        await Stratus.Domain.Resources.ResourceIndex.RebuildStaleAsync(store, ct).ConfigureAwait(false);
        phases.Done("index check");
        await ImageCatalog.EnsureAsync(store, clock.GetUtcNow().UtcDateTime, options.LocalImages, ct).ConfigureAwait(false);
        phases.Done("image catalog");
        var accounts = new AccountService(store, clock);
        var (credentials, created) = await accounts.BootstrapAsync(ct).ConfigureAwait(false);
        phases.Done("account");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "stratus" });
        // The metadata listener is one more URL of the same Kestrel server; requests are told
        // apart by the local port they arrived on (see the MapWhen below).
        builder.WebHost.UseUrls(options.MetadataPort > 0 ? $"{options.Urls};{MetadataListener.Binding(options.MetadataPort)}" : options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            if (options.MetadataPort > 0)
            {
                // The metadata port answers only on loopback and the VPC uplinks guests come through.
                var port = options.MetadataPort;
                k.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
                    connection.LocalEndPoint is System.Net.IPEndPoint local && local.Port == port && !MetadataListener.AcceptsLocalAddress(local.Address)
                        ? Task.CompletedTask
                        : next(connection)));
            }
        });
        builder.Logging.ClearProviders();
        if (options.LogFormat == "json")
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = false;
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<ApiReadiness>();
        services.AddSingleton(store);
        services.AddSingleton(accounts);
        services.AddSingleton<DefaultVpcProvisioner>();
        var metadataKeys = MetadataKeys.LoadOrCreate(options.DataDirectory);
        services.AddSingleton(metadataKeys);
        services.AddSingleton(new SessionCredentialIssuer(metadataKeys.Secret));
        services.AddSingleton(new MetadataTokens(metadataKeys.Secret));
        services.AddSingleton<MetadataService>();
        services.AddSingleton<RequestAuthenticator>();
        runtime = services.AddOperations(runtime, store);
        services.AddSingleton<Stratus.Domain.Iam.IamPolicyCache>();
        services.AddSingleton(new Stratus.Domain.Iam.AuthorizationMessages(metadataKeys.Secret));
        services.AddSingleton<RequestAuthorizer>();
        services.AddSingleton(runtime);
        services.AddSingleton<InstanceSettled>();
        services.AddSingleton<InstanceLifecycle>();
        services.AddSingleton<IInstanceFleet, InstanceFleet>();
        services.AddHostedService(sp => sp.GetRequiredService<InstanceLifecycle>());
        if (HeapTrimmer.Enabled)
        {
            services.AddHostedService<HeapTrimmer>();
        }
        // The gateway: one entry point, the codecs by protocol, and one line per service.
        services.AddSingleton<ServiceRouter>();
        services.AddSingleton<GatewayEndpoint>();
        foreach (var codec in ProtocolCodecs.All)
        {
            services.AddSingleton(codec);
        }
        services.AddSingleton<GatewayWarmUp>();
        services.AddSingleton<AccountReset>();
        // Background controllers start their first pass once the API is ready (ApiReadiness).
        services.AddControllerAfterApiReady<Stratus.Server.Ec2.Spot.SpotController>();
        services.AddControllerAfterApiReady<Stratus.Server.Ec2.Events.ScheduledEventsController>();
        services.AddControllerAfterApiReady<Stratus.Server.Ec2.Fleets.FleetController>();
        services.AddAwsService<Ec2Service>();
        services.AddAwsService<Stratus.Server.Sts.StsService>();
        services.AddAwsService<Stratus.Server.Iam.IamService>();
        services.AddAwsService<Stratus.Server.ServiceQuotas.ServiceQuotasService>();
        // Elastic Load Balancing: the API, and the data plane (listeners, health checks) that follows the store.
        services.AddHttpForwarder();
        services.AddSingleton<Stratus.Domain.ElasticLoadBalancingV2.TargetHealthTracker>();
        services.AddSingleton<Stratus.Server.ElasticLoadBalancingV2.LoadBalancerTraffic>();
        services.AddSingleton<Stratus.Domain.ElasticLoadBalancingV2.ITargetRegistry, Stratus.Domain.ElasticLoadBalancingV2.TargetRegistry>();
        services.AddControllerAfterApiReady<Stratus.Server.ElasticLoadBalancingV2.LoadBalancerDataPlane>();
        services.AddControllerAfterApiReady<Stratus.Server.FlowLogs.FlowLogDelivery>();
        services.AddControllerAfterApiReady<Stratus.Server.Ec2.ConnectPeerBgpMonitor>();
        services.AddAwsService<Stratus.Server.ElasticLoadBalancingV2.ElbV2Service>();
        services.AddControllerAfterApiReady<Stratus.Server.AutoScaling.AutoScalingController>();
        services.AddAwsService<Stratus.Server.AutoScaling.AutoScalingService>();
        Stratus.Server.CloudWatch.CloudWatchRegistration.AddCloudWatch(services, options);
        Stratus.Server.Logs.LogsRegistration.AddLogs(services, options);
        Stratus.Server.AutoScaling.Policies.PoliciesRegistration.AddScalingPolicies(services);

        var app = builder.Build();
        phases.Done("host built");
        var endpoint = app.Services.GetRequiredService<GatewayEndpoint>();
        phases.Done("gateway and services");
        if (options.MetadataPort > 0)
        {
            // Requests to the metadata port go to IMDS, except requests signed for CloudWatch (the
            // guests' CloudWatch endpoint, see GuestEndpoint); IMDS is not on the API port.
            var metadata = app.Services.GetRequiredService<MetadataService>();
            var metadataPort = options.MetadataPort;
            app.MapWhen(ctx => ctx.Connection.LocalPort == metadataPort, branch => branch.Run(ctx =>
                Stratus.Server.CloudWatch.GuestEndpoint.IsCloudWatchOrLogsRequest(ctx.Request) ? endpoint.HandleAsync(ctx) : metadata.HandleAsync(ctx)));
        }
        app.MapGet("/_stratus/imds/certificate", () => Results.Text(metadataKeys.CertificatePem, "application/x-pem-file"));
        var warmUp = app.Services.GetRequiredService<GatewayWarmUp>();
        app.MapGet("/_stratus/health", warmUp.WriteHealthAsync);
        app.MapPost("/_stratus/reset", app.Services.GetRequiredService<AccountReset>().HandleAsync);
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => warmUp.RunAsync([.. app.Urls], app.Lifetime.ApplicationStopping)));
        app.MapOperations();
        app.MapPost("/", endpoint.HandleAsync);
        app.MapPost("/service/{**operation}", endpoint.HandleAsync);
        // A browser opening the endpoint gets the web console; API clients' GET / is the gateway's.
        app.MapConsole();
        app.MapGet("/", http => ConsoleEndpoints.IsBrowserVisit(http.Request)
            ? RedirectToConsole(http)
            : endpoint.HandleAsync(http));

        phases.Done("endpoints mapped");
        if (options.AwsConfigDirectory is { } awsDir)
        {
            AwsProfileWriter.Write(awsDir, options.ProfileName, credentials.AccessKey.AccessKeyId, credentials.AccessKey.SecretAccessKey,
                options.DefaultRegion, options.PublicEndpoint);
        }
        var banner = new List<string>
        {
            $"Stratus EC2 API on {options.PublicEndpoint}  (data: {options.DataDirectory})",
            $"  instance runtime: {runtime.Name}",
            options.MetadataPort > 0 ? $"  instance metadata service on port {options.MetadataPort} (loopback and VPC uplinks only)" : "  instance metadata service off",
            $"  account {credentials.Account.AccountId}{(created ? " (created)" : "")}, access key {credentials.AccessKey.AccessKeyId}",
        };
        if (options.AwsConfigDirectory is not null)
        {
            banner.Add($"  AWS CLI profile '{options.ProfileName}' written to {options.AwsConfigDirectory}: aws --profile {options.ProfileName} ec2 describe-regions");
            banner.Add($"  clients that read endpoint_url from a profile: aws CLI v2 >= 2.13, v1 >= 1.29, boto3 >= 1.28, current AWS SDKs; older ones need --endpoint-url {options.PublicEndpoint}");
        }
        if (!options.RequireSignatures)
        {
            banner.Add("  signatures are NOT verified (--no-auth): every request acts as this account");
        }
        if (options.LogFormat == "json")
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Stratus");
            foreach (var line in banner)
            {
#pragma warning disable CA1848, CA2254, CA1873 // start-up lines, once
                logger.LogInformation(line.Trim());
#pragma warning restore CA1848, CA2254, CA1873
            }
        }
        else
        {
            foreach (var line in banner)
            {
                await console.WriteLineAsync(line).ConfigureAwait(false);
            }
        }
        var startupLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Stratus.Startup");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            phases.Done("hosted services and listening");
            if (startupLogger.IsEnabled(LogLevel.Information))
            {
                startupLogger.LogInformation("Start-up: {Phases}", phases.Summary());
            }
        });
        return app;
    }

    /// <summary>
    /// Where start-up spends its time: each phase's milliseconds, and the process's age, CPU time
    /// and JIT compilation (time, methods) at the end. Wall time varies with the machine's load;
    /// CPU and JIT figures compare runs on a busy machine.
    /// </summary>
    private sealed class StartupPhases
    {
        private readonly List<string> _done = [];
        private long _last = System.Diagnostics.Stopwatch.GetTimestamp();

        public void Done(string phase)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            _done.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{phase} {System.Diagnostics.Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds:F0} ms"));
            _last = now;
        }

        public string Summary()
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{string.Join(", ", _done)}; {(DateTime.Now - process.StartTime).TotalMilliseconds:F0} ms since the process started, "
                + $"{process.TotalProcessorTime.TotalMilliseconds:F0} ms CPU, JIT {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms for {System.Runtime.JitInfo.GetCompiledMethodCount()} methods");
        }
    }

    private static Task RedirectToConsole(HttpContext http)
    {
        http.Response.Redirect(ConsoleEndpoints.BasePath);
        return Task.CompletedTask;
    }
}
