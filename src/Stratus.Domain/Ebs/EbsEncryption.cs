using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Ebs;

/// <summary>
/// An account's EBS encryption defaults per region (EnableEbsEncryptionByDefault,
/// ModifyEbsDefaultKmsKeyId, ...), kept as one settings document per account and region.
/// </summary>
public static partial class EbsEncryption
{
    public const string ManagedKeyAlias = "alias/aws/ebs";

    /// <summary>The store type of the settings document (not a resource clients see).</summary>
    internal static readonly ResourceType SettingsType = new("ebs-settings", "ebs", "InvalidParameterValue", "InvalidParameterValue", "{0}");

    private const string SettingsId = "default";

    [GeneratedRegex(@"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[a-zA-Z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|alias/[a-zA-Z0-9/_-]{1,250}))$", RegexOptions.CultureInvariant)]
    private static partial Regex KmsKeyIdPattern();

    public static async Task<EbsSettings> GetAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        await session.GetAsync<EbsSettings>(scope, SettingsType, SettingsId, ct).ConfigureAwait(false) ?? new EbsSettings();

    public static Task PutAsync(IStoreTransaction tx, Scope scope, EbsSettings settings, DateTime now, CancellationToken ct = default) =>
        tx.PutAsync(scope, SettingsType, SettingsId, settings, now, ct);

    /// <summary>The key new encrypted volumes get when none is named: the account's default or the AWS managed key.</summary>
    public static string DefaultKeyArn(Scope scope, EbsSettings settings) => settings.DefaultKmsKeyId ?? Volumes.ManagedKeyArn(scope);

    /// <summary>The default key as GetEbsDefaultKmsKeyId reports it.</summary>
    public static string DefaultKeyId(EbsSettings settings) => settings.DefaultKmsKeyId ?? ManagedKeyAlias;

    /// <summary>Accepts a KMS key id, alias, key ARN or alias ARN.</summary>
    public static string CheckKmsKeyId(string keyId) => KmsKeyIdPattern().IsMatch(keyId)
        ? keyId
        : throw AwsErrors.InvalidParameterValue($"Value ({keyId}) for parameter kmsKeyId is invalid. Specify a key ID, alias, key ARN or alias ARN.");
}
