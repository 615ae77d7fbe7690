using System.Text.Json;
using Stratus.Server.Ec2;

namespace Stratus.Server.Tests.Ec2;

/// <summary>
/// Every implemented Describe operation answers exactly the filters AWS documents for it
/// (spec/ec2/filters.json, extracted from the service model's documentation): none missing, none
/// invented. "tag" in the documented list stands for tag:&lt;key&gt;, which comes with tag-key and tag-value.
/// </summary>
public sealed class FilterCoverageTests
{
    private static readonly Dictionary<string, List<string>> Documented =
        JsonSerializer.Deserialize<Dictionary<string, List<string>>>(File.ReadAllText(RepoPaths.Of("spec", "ec2", "filters.json")))!;

    public static TheoryData<string> Operations() => [.. Ec2Service.DeclaredFilters.Keys];

    [Theory]
    [MemberData(nameof(Operations))]
    public void DeclaredFiltersMatchTheDocumentedOnes(string operation)
    {
        Assert.Contains(operation, Ec2Service.ImplementedOperations);
        var declared = Ec2Service.DeclaredFilters[operation];
        var (names, tags) = (declared.Names, declared.HasTags);
        var documented = Documented[operation].ToHashSet(StringComparer.Ordinal);
        var documentedTags = documented.Remove("tag") | documented.Contains("tag-key");
        documented.Remove("tag-key");
        documented.Remove("tag-value");
        Assert.Equal(documented.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Equal(documentedTags, tags);
    }

    [Fact]
    public void EveryImplementedDescribeWithFiltersDeclaresThem()
    {
        var missing = Ec2Service.ImplementedOperations
            .Where(op => Documented.ContainsKey(op) && !Ec2Service.DeclaredFilters.ContainsKey(op))
            .ToList();
        Assert.Empty(missing);
    }
}
