using Microsoft.Extensions.DependencyInjection;
using Stratus.Server.Hosting;

namespace Stratus.Server.AutoScaling.Policies;

/// <summary>Wires what scaling policies and scheduled actions need beside the Auto Scaling service: the capacity signal and the scheduled-action runner.</summary>
internal static class PoliciesRegistration
{
    public static void AddScalingPolicies(IServiceCollection services)
    {
        services.AddSingleton<ScalingSignals>();
        services.AddControllerAfterApiReady<ScheduledActionRunner>();
    }
}
