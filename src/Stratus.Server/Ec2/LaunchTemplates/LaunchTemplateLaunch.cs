using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using DomainLaunchTemplates = Stratus.Domain.LaunchTemplates.LaunchTemplates;
using DomainTag = Stratus.Domain.Resources.Tag;

namespace Stratus.Server.Ec2;

/// <summary>
/// RunInstances from a launch template: the version's data are the defaults under the request's
/// own parameters (what the request gives wins), and the instances carry the tags
/// <c>aws:ec2launchtemplate:id</c> and <c>aws:ec2launchtemplate:version</c>.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>A launch request with its template applied, and the tags EC2 itself puts on the instances.</summary>
    internal sealed record LaunchTemplateLaunch(RunInstancesRequest Request, List<DomainTag> InstanceTags);

    private static readonly Dictionary<string, PropertyInfo> RunInstancesMembers = typeof(RunInstancesRequest)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Members of a launch request a template never supplies.</summary>
    private static readonly HashSet<string> NotFromTemplate = new(StringComparer.OrdinalIgnoreCase)
    {
        "LaunchTemplate", "MinCount", "MaxCount", "DryRun", "ClientToken",
    };

    /// <summary>
    /// Resolves <see cref="RunInstancesRequest.LaunchTemplate"/> (by id or name; version a number,
    /// <c>$Latest</c> or <c>$Default</c>, by default <c>$Default</c>) and returns the request with the
    /// template's data filled in where the request gives nothing. Tag specifications are merged per
    /// resource type (the request's value wins for the same key); the request's subnet or security
    /// groups go into the template's primary network interface when the template has one.
    /// </summary>
    internal static Task<LaunchTemplateLaunch> ApplyLaunchTemplateAsync(RequestContext context, RunInstancesRequest request) =>
        ApplyLaunchTemplateAsync(context.Store, context.Scope, request, context.Cancellation);

    /// <inheritdoc cref="ApplyLaunchTemplateAsync(RequestContext, RunInstancesRequest)"/>
    internal static async Task<LaunchTemplateLaunch> ApplyLaunchTemplateAsync(IStoreSession store, Scope scope, RunInstancesRequest request, CancellationToken ct)
    {
        if (request.LaunchTemplate is not { } spec)
        {
            return new LaunchTemplateLaunch(request, []);
        }
        var template = await DomainLaunchTemplates.GetAsync(store, scope, spec.LaunchTemplateId, spec.LaunchTemplateName, ct).ConfigureAwait(false);
        var version = DomainLaunchTemplates.GetVersion(template, spec.Version);
        var data = JsonNode.Parse(version.Data)?.AsObject() ?? [];
        var merged = JsonSerializer.SerializeToNode(request, LaunchTemplateJson)!.AsObject();
        bool Has(string member) => merged.Any(p => string.Equals(p.Key, member, StringComparison.OrdinalIgnoreCase));

        foreach (var (key, value) in data)
        {
            if (value is null || NotFromTemplate.Contains(key) || !RunInstancesMembers.TryGetValue(key, out var member) || Has(member.Name))
            {
                continue;
            }
            switch (member.Name)
            {
                case nameof(RunInstancesRequest.SecurityGroupIds) or nameof(RunInstancesRequest.SecurityGroups)
                    when Has(nameof(RunInstancesRequest.SecurityGroupIds)) || Has(nameof(RunInstancesRequest.SecurityGroups)) || Has(nameof(RunInstancesRequest.NetworkInterfaces)):
                    continue; // the request's own groups or interfaces replace the template's groups
                case nameof(RunInstancesRequest.NetworkInterfaces):
                    if (value.DeepClone() is JsonArray interfaces)
                    {
                        FoldIntoPrimaryInterface(merged, interfaces);
                        merged[member.Name] = interfaces;
                    }
                    continue;
            }
            var copy = value.DeepClone();
            try
            {
                // Members whose shape differs between the template and the launch request are left out.
                _ = copy.Deserialize(member.PropertyType, LaunchTemplateJson);
            }
            catch (JsonException)
            {
                continue;
            }
            merged[member.Name] = copy;
        }
        MergeTagSpecifications(merged, data);

        var result = merged.Deserialize<RunInstancesRequest>(LaunchTemplateJson)!;
        result.LaunchTemplate = spec;
        return new LaunchTemplateLaunch(result,
        [
            new DomainTag("aws:ec2launchtemplate:id", template.Id),
            new DomainTag("aws:ec2launchtemplate:version", version.Number.ToString(CultureInfo.InvariantCulture)),
        ]);
    }

    /// <summary>The request's instance-level subnet, groups and private address apply to the template's primary interface.</summary>
    private static void FoldIntoPrimaryInterface(JsonObject merged, JsonArray interfaces)
    {
        var primary = interfaces.OfType<JsonObject>().FirstOrDefault(n => (n["DeviceIndex"]?.GetValue<int>() ?? 0) == 0);
        if (primary is null)
        {
            return;
        }
        if (merged.Remove(nameof(RunInstancesRequest.SubnetId), out var subnet))
        {
            primary["SubnetId"] = subnet;
        }
        if (merged.Remove(nameof(RunInstancesRequest.SecurityGroupIds), out var groups))
        {
            primary["Groups"] = groups;
        }
        if (merged.Remove(nameof(RunInstancesRequest.PrivateIpAddress), out var address))
        {
            primary["PrivateIpAddress"] = address;
        }
    }

    private static void MergeTagSpecifications(JsonObject merged, JsonObject data)
    {
        if (data["TagSpecifications"] is not JsonArray templateSpecs || templateSpecs.Count == 0)
        {
            return;
        }
        if (merged["TagSpecifications"] is not JsonArray specs)
        {
            specs = [];
            merged["TagSpecifications"] = specs;
        }
        foreach (var templateSpec in templateSpecs.OfType<JsonObject>())
        {
            var type = templateSpec["ResourceType"]?.GetValue<string>();
            var target = specs.OfType<JsonObject>().FirstOrDefault(s => s["ResourceType"]?.GetValue<string>() == type);
            if (target is null)
            {
                specs.Add(templateSpec.DeepClone());
                continue;
            }
            if (target["Tags"] is not JsonArray tags)
            {
                tags = [];
                target["Tags"] = tags;
            }
            var keys = tags.OfType<JsonObject>().Select(t => t["Key"]?.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            foreach (var tag in (templateSpec["Tags"] as JsonArray ?? []).OfType<JsonObject>().Where(t => !keys.Contains(t["Key"]?.GetValue<string>())))
            {
                tags.Add(tag.DeepClone());
            }
        }
    }
}
