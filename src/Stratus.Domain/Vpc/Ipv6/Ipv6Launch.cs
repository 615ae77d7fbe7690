using Stratus.Core;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Ipv6;

/// <summary>
/// The IPv6 addresses of a launch's primary interfaces: <see cref="LaunchSpec.Ipv6AddressCount"/>
/// per instance, the named <see cref="LaunchSpec.Ipv6Addresses"/> (one instance only), or one each
/// when the subnet assigns IPv6 addresses on creation. Chosen before anything is written.
/// </summary>
public sealed class Ipv6Launch
{
    private readonly List<List<string>> _perInstance;
    private int _next;

    private Ipv6Launch(List<List<string>> perInstance) => _perInstance = perInstance;

    /// <summary>The addresses of the next instance, in launch order (none when the launch has no IPv6).</summary>
    public IReadOnlyList<string> Next() => _next < _perInstance.Count ? _perInstance[_next++] : [];

    public static async Task<Ipv6Launch> PrepareAsync(IStoreSession session, Scope scope, LaunchPlan plan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var spec = plan.Spec;
        var subnet = plan.Subnet.Subnet;
        if (spec.Ipv6AddressCount is null && spec.Ipv6Addresses.Count == 0 && !subnet.AssignIpv6AddressOnCreation)
        {
            return new Ipv6Launch([]);
        }
        if (spec.Ipv6Addresses.Count > 0 && plan.Count > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Cannot specify IPv6 addresses when launching more than one instance");
        }
        var limit = plan.Type.Network.Ipv6AddressesPerInterface;
        if (!plan.Type.Network.Ipv6Supported && (spec.Ipv6AddressCount is > 0 || spec.Ipv6Addresses.Count > 0))
        {
            throw AwsErrors.InvalidParameterValue($"The instance type {plan.Type.Name} does not support IPv6 addresses.");
        }
        var taken = await Ipv6Blocks.TakenAsync(session, scope, subnet.Id, ct).ConfigureAwait(false);
        var perInstance = new List<List<string>>(plan.Count);
        for (var i = 0; i < plan.Count; i++)
        {
            perInstance.Add(Ipv6Blocks.ChooseForNewInterface(subnet, spec.Ipv6AddressCount, spec.Ipv6Addresses, taken, Math.Max(limit, subnet.AssignIpv6AddressOnCreation ? 1 : 0)));
        }
        return new Ipv6Launch(perInstance);
    }
}
