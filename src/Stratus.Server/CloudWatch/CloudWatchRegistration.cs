using Microsoft.Extensions.DependencyInjection;
using Stratus.Domain.CloudWatch;
using Stratus.Server.Gateway;
using Stratus.Server.Hosting;

namespace Stratus.Server.CloudWatch;

/// <summary>Wires CloudWatch: its database, the service, the alarm evaluator (with EC2 and Auto Scaling policy actions), the alarms of target-tracking policies, and the publishers of the AWS/EC2, AWS/EBS, AWS/AutoScaling, AWS/ApplicationELB and AWS/NetworkELB metrics.</summary>
internal static class CloudWatchRegistration
{
    public static void AddCloudWatch(IServiceCollection services, ServerOptions options)
    {
        Directory.CreateDirectory(options.DataDirectory);
        services.AddSingleton(_ => new MetricStore(options.CloudWatchDatabasePath));
        services.AddSingleton<CloudWatchState>();
        services.AddSingleton<MetricQueries>();
        services.AddSingleton<RunningResources>();
        services.AddSingleton<IInstanceActions, Ec2InstanceActions>();
        services.AddSingleton<IScalingPolicyActions, Stratus.Server.AutoScaling.Policies.ScalingPolicyExecutor>();
        services.AddSingleton<Stratus.Domain.AutoScaling.Policies.IPolicyAlarms, PolicyAlarms>();
        services.AddControllerAfterApiReady<AlarmEvaluator>();
        services.AddControllerAfterApiReady<InstanceMetricsCollector>();
        services.AddControllerAfterApiReady<EbsMetricsPublisher>();
        services.AddControllerAfterApiReady<GroupMetricsPublisher>();
        services.AddControllerAfterApiReady<LoadBalancerMetricsPublisher>();
        services.AddControllerAfterApiReady<NatGatewayMetricsPublisher>();
        services.AddAwsService<CloudWatchService>();
    }
}
