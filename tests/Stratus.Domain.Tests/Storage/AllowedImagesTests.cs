using Stratus.Core;
using Stratus.Domain.Images;

namespace Stratus.Domain.Tests.Storage;

/// <summary>Allowed AMIs criteria: providers, names, age and deprecation, and their validation.</summary>
public sealed class AllowedImagesTests
{
    private const string Me = "123456789012";
    private const string Other = "210987654321";
    private static readonly DateTime Now = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);

    private static ImageResource Image(string owner, string name, string? alias = null, int ageDays = 1, int? deprecatedDaysAgo = null) => new()
    {
        Id = "ami-0123456789abcdef0",
        OwnerId = owner,
        OwnerAlias = alias,
        Name = name,
        CreationDate = Now.AddDays(-ageDays),
        DeprecationTime = deprecatedDaysAgo is { } d ? Now.AddDays(-d) : null,
    };

    private static AllowedImagesSetting Setting(params ImageCriterionRecord[] criteria) => new() { State = AllowedImages.Enabled, Criteria = [.. criteria] };

    [Fact]
    public void OwnImagesAreAlwaysAllowed()
    {
        var setting = Setting();
        Assert.True(AllowedImages.IsAllowed(setting, Image(Me, "mine"), Me, Now));
        Assert.False(AllowedImages.IsAllowed(setting, Image(Other, "theirs"), Me, Now));
        Assert.True(AllowedImages.Refuses(setting, Image(Other, "theirs"), Me, Now));
        Assert.False(AllowedImages.Refuses(new AllowedImagesSetting { State = AllowedImages.AuditMode }, Image(Other, "theirs"), Me, Now));
    }

    [Fact]
    public void ProvidersMatchAliasOrAccount()
    {
        var setting = Setting(new ImageCriterionRecord { ImageProviders = ["amazon", Other] });
        Assert.True(AllowedImages.IsAllowed(setting, Image("999999999999", "al2023", "amazon"), Me, Now));
        Assert.True(AllowedImages.IsAllowed(setting, Image(Other, "x"), Me, Now));
        Assert.False(AllowedImages.IsAllowed(setting, Image("555555555555", "y", "aws-marketplace"), Me, Now));
        var none = Setting(new ImageCriterionRecord { ImageProviders = ["none"] });
        Assert.False(AllowedImages.IsAllowed(none, Image(Other, "x"), Me, Now));
    }

    [Fact]
    public void ConditionsOfOneCriterionMustAllHoldAndAnyCriterionSuffices()
    {
        var setting = Setting(
            new ImageCriterionRecord { ImageProviders = ["amazon"], ImageNames = ["stratus-minimal-*"], MaximumDaysSinceCreated = 30 },
            new ImageCriterionRecord { ImageNames = ["golden-??"] });
        Assert.True(AllowedImages.IsAllowed(setting, Image(Other, "stratus-minimal-2026-x86_64", "amazon", ageDays: 10), Me, Now));
        Assert.False(AllowedImages.IsAllowed(setting, Image(Other, "stratus-minimal-2026-x86_64", "amazon", ageDays: 31), Me, Now));
        Assert.False(AllowedImages.IsAllowed(setting, Image(Other, "debian-12", "amazon"), Me, Now));
        Assert.True(AllowedImages.IsAllowed(setting, Image(Other, "golden-01"), Me, Now));
        Assert.False(AllowedImages.IsAllowed(setting, Image(Other, "golden-001"), Me, Now));
    }

    [Fact]
    public void DeprecationConditionCountsOnlyPastDeprecations()
    {
        var setting = Setting(new ImageCriterionRecord { MaximumDaysSinceDeprecated = 7 });
        Assert.True(AllowedImages.IsAllowed(setting, Image(Other, "a"), Me, Now));
        Assert.True(AllowedImages.IsAllowed(setting, Image(Other, "a", deprecatedDaysAgo: 3), Me, Now));
        Assert.False(AllowedImages.IsAllowed(setting, Image(Other, "a", deprecatedDaysAgo: 8), Me, Now));
        Assert.True(AllowedImages.IsAllowed(setting, Image(Other, "a", deprecatedDaysAgo: -5), Me, Now));
    }

    [Fact]
    public void ValidationRefusesWhatEc2Refuses()
    {
        static string CodeOf(params ImageCriterionRecord[] criteria) => Assert.Throws<AwsException>(() => AllowedImages.Validate(criteria)).Code;
        Assert.Equal("InvalidParameterValue", CodeOf(new ImageCriterionRecord()));
        Assert.Equal("InvalidParameterValue", CodeOf(new ImageCriterionRecord { ImageProviders = ["amazon", "none"] }));
        Assert.Equal("InvalidParameterValue", CodeOf(new ImageCriterionRecord { ImageProviders = ["12345"] }));
        Assert.Equal("InvalidParameterValue", CodeOf(new ImageCriterionRecord { ImageNames = ["bad#name"] }));
        Assert.Equal("InvalidParameterValue", CodeOf([.. Enumerable.Range(0, 11).Select(_ => new ImageCriterionRecord { ImageProviders = ["amazon"] })]));
        AllowedImages.Validate([new ImageCriterionRecord { ImageProviders = ["amazon", "aws-marketplace", Other], ImageNames = ["a*", "web (prod) [1]"] }]);
    }
}
