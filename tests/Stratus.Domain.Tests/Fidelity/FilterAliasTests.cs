using Stratus.Core;
using Stratus.Domain.Filtering;

namespace Stratus.Domain.Tests.Fidelity;

/// <summary>Filter names EC2 accepts besides the documented one (DescribeSubnets' cidr/cidrBlock, availabilityZone, ...).</summary>
public sealed class FilterAliasTests
{
    private sealed record Item(string Id, string Cidr);

    private static readonly FilterSet<Item> Filters = new FilterSet<Item>()
        .Add("id", i => i.Id)
        .Add("cidr-block", i => i.Cidr)
        .Indexed("cidr-block")
        .Alias("cidr", "cidr-block")
        .Alias("cidrBlock", "cidr-block");

    private static readonly Item[] Items = [new("a", "10.0.0.0/24"), new("b", "10.0.1.0/24")];

    [Theory]
    [InlineData("cidr-block")]
    [InlineData("cidr")]
    [InlineData("cidrBlock")]
    public void AnAliasMatchesLikeTheFilterItStandsFor(string name)
    {
        var matched = Filters.Apply(Items, [new FilterCriterion(name, ["10.0.1.0/24"])]).Select(i => i.Id);
        Assert.Equal(["b"], matched);
    }

    [Fact]
    public void AliasesAreNotDeclaredNamesButAreListed()
    {
        Assert.Equal(["cidr-block", "id"], Filters.Names.Order(StringComparer.Ordinal));
        Assert.Equal("cidr-block", Filters.Aliases["cidrBlock"]);
        Assert.Equal("cidr-block", Filters.Canonical("cidr"));
        Assert.Equal("id", Filters.Canonical("id"));
    }

    [Fact]
    public void AnAliasOfAnIndexedFilterIsPushedDownUnderTheIndexedName()
    {
        var conditions = Filters.IndexConditions([new FilterCriterion("cidrBlock", ["10.0.1.0/24"])]);
        var condition = Assert.Single(conditions);
        Assert.Equal(["cidr-block"], condition.Names);
    }

    [Fact]
    public void AnUnknownNameIsStillRefused()
    {
        var e = Assert.Throws<AwsException>(() => Filters.Apply(Items, [new FilterCriterion("cidr_block", ["x"])]).ToList());
        Assert.Equal("InvalidParameterValue", e.Code);
    }

    [Fact]
    public void AnAliasMustNameADeclaredFilter() =>
        Assert.Throws<ArgumentException>(() => new FilterSet<Item>().Add("id", i => i.Id).Alias("x", "nope"));
}
