using System.Globalization;
using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Images;

/// <summary>One Allowed AMIs criterion: every condition it names must hold.</summary>
public sealed class ImageCriterionRecord
{
    public List<string> ImageProviders { get; init; } = [];
    public List<string> ImageNames { get; init; } = [];
    public List<string> MarketplaceProductCodes { get; init; } = [];
    public int? MaximumDaysSinceCreated { get; init; }
    public int? MaximumDaysSinceDeprecated { get; init; }
}

/// <summary>The Allowed AMIs setting of an account in a region.</summary>
public sealed class AllowedImagesSetting
{
    /// <summary><c>disabled</c>, <c>enabled</c> or <c>audit-mode</c>.</summary>
    public string State { get; set; } = AllowedImages.Disabled;

    public List<ImageCriterionRecord> Criteria { get; set; } = [];
}

/// <summary>
/// Allowed AMIs: criteria (image providers, names, age, time since deprecation, Marketplace
/// product codes) that decide which AMIs an account may discover and launch in a region. An AMI
/// is allowed when the account owns it or it meets at least one criterion. In <c>enabled</c>
/// mode DescribeImages leaves out AMIs that are not allowed and RunInstances refuses them
/// (<c>InvalidAMIID.NotFound</c>); in <c>audit-mode</c> nothing is refused and only the
/// <c>ImageAllowed</c> field tells.
/// </summary>
public static class AllowedImages
{
    public const string Disabled = "disabled";
    public const string Enabled = "enabled";
    public const string AuditMode = "audit-mode";
    public const int MaxCriteria = 10;
    public const int MaxProviders = 200;
    public const int MaxNames = 50;
    public const int MaxProductCodes = 50;

    private const string SettingId = "allowed-images";
    private static readonly Regex NamePattern = new(@"^[A-Za-z0-9()\[\]./\-'@_*? ]{1,128}$", RegexOptions.CultureInvariant);
    private static readonly Regex ProductCodePattern = new("^[A-Za-z0-9]{1,25}$", RegexOptions.CultureInvariant);
    private static readonly Regex AccountId = new("^[0-9]{12}$", RegexOptions.CultureInvariant);

    public static async Task<AllowedImagesSetting> GetAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        await session.GetAsync<AllowedImagesSetting>(scope, ResourceTypes.StorageSetting, SettingId, ct).ConfigureAwait(false) ?? new AllowedImagesSetting();

    public static Task PutAsync(IStoreTransaction tx, Scope scope, AllowedImagesSetting setting, DateTime now, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.StorageSetting, SettingId, setting, now, ct);

    /// <summary>Checks criteria as ReplaceImageCriteriaInAllowedImagesSettings does.</summary>
    public static void Validate(IReadOnlyList<ImageCriterionRecord> criteria)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        if (criteria.Count > MaxCriteria)
        {
            throw AwsErrors.InvalidParameterValue($"You can specify up to {MaxCriteria} image criteria; {criteria.Count} were given.");
        }
        foreach (var c in criteria)
        {
            if (c.ImageProviders.Count == 0 && c.ImageNames.Count == 0 && c.MarketplaceProductCodes.Count == 0
                && c.MaximumDaysSinceCreated is null && c.MaximumDaysSinceDeprecated is null)
            {
                throw AwsErrors.InvalidParameterValue("Each image criterion must specify at least one of ImageProviders, ImageNames, MarketplaceProductCodes, CreationDateCondition or DeprecationTimeCondition.");
            }
            if (c.ImageProviders.Count > MaxProviders)
            {
                throw AwsErrors.InvalidParameterValue($"An image criterion can have up to {MaxProviders} image providers.");
            }
            foreach (var provider in c.ImageProviders.Where(p => p is not ("amazon" or "aws-marketplace" or "aws-backup-vault" or "none") && !AccountId.IsMatch(p)))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({provider}) for parameter ImageProviders is invalid. Valid values: amazon, aws-marketplace, aws-backup-vault, none, or a 12-digit account ID.");
            }
            if (c.ImageProviders.Contains("none") && c.ImageProviders.Count > 1)
            {
                throw AwsErrors.InvalidParameterValue("When ImageProviders contains none, no other image providers can be specified.");
            }
            if (c.ImageNames.Count > MaxNames)
            {
                throw AwsErrors.InvalidParameterValue($"An image criterion can have up to {MaxNames} image names.");
            }
            foreach (var name in c.ImageNames.Where(n => !NamePattern.IsMatch(n) || (n.Contains('?', StringComparison.Ordinal) && n.Length < 3)))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({name}) for parameter ImageNames is invalid. Names are 1-128 characters (at least 3 with ?) of letters, numbers, spaces and ( ) [ ] . / - ' @ _ * ?.");
            }
            if (c.MarketplaceProductCodes.Count > MaxProductCodes)
            {
                throw AwsErrors.InvalidParameterValue($"An image criterion can have up to {MaxProductCodes} Marketplace product codes.");
            }
            foreach (var code in c.MarketplaceProductCodes.Where(p => !ProductCodePattern.IsMatch(p)))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({code}) for parameter MarketplaceProductCodes is invalid. Product codes are 1-25 letters and numbers.");
            }
        }
    }

    /// <summary>Whether <paramref name="accountId"/> may use <paramref name="image"/> under the criteria (the mode aside).</summary>
    public static bool IsAllowed(AllowedImagesSetting setting, ImageResource image, string accountId, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(image);
        return image.OwnerId == accountId || setting.Criteria.Exists(c => Matches(c, image, now));
    }

    /// <summary>True when the setting refuses the image (mode <c>enabled</c> and not allowed).</summary>
    public static bool Refuses(AllowedImagesSetting setting, ImageResource image, string accountId, DateTime now) =>
        setting.State == Enabled && !IsAllowed(setting, image, accountId, now);

    public static bool Matches(ImageCriterionRecord criterion, ImageResource image, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(criterion);
        ArgumentNullException.ThrowIfNull(image);
        if (criterion.ImageProviders.Count > 0 && !criterion.ImageProviders.Exists(p => p == image.OwnerId || (p == image.OwnerAlias && p != "none")))
        {
            return false;
        }
        if (criterion.ImageNames.Count > 0 && !criterion.ImageNames.Exists(n => NameMatches(n, image.Name)))
        {
            return false;
        }
        if (criterion.MarketplaceProductCodes.Count > 0)
        {
            // Stratus's images carry no Marketplace product codes.
            return false;
        }
        if (criterion.MaximumDaysSinceCreated is { } maxAge && (now - image.CreationDate).TotalDays > maxAge)
        {
            return false;
        }
        if (criterion.MaximumDaysSinceDeprecated is { } maxDeprecated && image.DeprecationTime is { } deprecated && deprecated <= now
            && (now - deprecated).TotalDays > maxDeprecated)
        {
            return false;
        }
        return true;
    }

    /// <summary>An image name pattern: <c>*</c> any run of characters, <c>?</c> one character, the rest literal.</summary>
    public static bool NameMatches(string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var regex = "^" + string.Concat(pattern.Select(ch => ch switch
        {
            '*' => ".*",
            '?' => ".",
            _ => Regex.Escape(ch.ToString(CultureInfo.InvariantCulture)),
        })) + "$";
        return Regex.IsMatch(name, regex, RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }
}
