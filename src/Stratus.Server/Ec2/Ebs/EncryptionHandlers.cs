using Stratus.Domain.Ebs;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>EBS encryption by default and the default KMS key, per account and region.</summary>
internal sealed partial class Ec2Service
{
    public override async Task<EnableEbsEncryptionByDefaultResult> EnableEbsEncryptionByDefaultAsync(RequestContext context, EnableEbsEncryptionByDefaultRequest request) =>
        new() { EbsEncryptionByDefault = await SetEncryptionByDefaultAsync(context, true).ConfigureAwait(false) };

    public override async Task<DisableEbsEncryptionByDefaultResult> DisableEbsEncryptionByDefaultAsync(RequestContext context, DisableEbsEncryptionByDefaultRequest request) =>
        new() { EbsEncryptionByDefault = await SetEncryptionByDefaultAsync(context, false).ConfigureAwait(false) };

    public override async Task<GetEbsEncryptionByDefaultResult> GetEbsEncryptionByDefaultAsync(RequestContext context, GetEbsEncryptionByDefaultRequest request)
    {
        var settings = await EbsEncryption.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        return new GetEbsEncryptionByDefaultResult { EbsEncryptionByDefault = settings.EncryptionByDefault, SseType = "none" };
    }

    public override async Task<GetEbsDefaultKmsKeyIdResult> GetEbsDefaultKmsKeyIdAsync(RequestContext context, GetEbsDefaultKmsKeyIdRequest request)
    {
        var settings = await EbsEncryption.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        return new GetEbsDefaultKmsKeyIdResult { KmsKeyId = EbsEncryption.DefaultKeyId(settings) };
    }

    public override async Task<ModifyEbsDefaultKmsKeyIdResult> ModifyEbsDefaultKmsKeyIdAsync(RequestContext context, ModifyEbsDefaultKmsKeyIdRequest request)
    {
        var keyId = EbsEncryption.CheckKmsKeyId(request.KmsKeyId!);
        var settings = await EbsEncryption.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        settings.DefaultKmsKeyId = keyId;
        await EbsEncryption.PutAsync(context.Transaction, context.Scope, settings, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyEbsDefaultKmsKeyIdResult { KmsKeyId = keyId };
    }

    public override async Task<ResetEbsDefaultKmsKeyIdResult> ResetEbsDefaultKmsKeyIdAsync(RequestContext context, ResetEbsDefaultKmsKeyIdRequest request)
    {
        var settings = await EbsEncryption.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        settings.DefaultKmsKeyId = null;
        await EbsEncryption.PutAsync(context.Transaction, context.Scope, settings, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ResetEbsDefaultKmsKeyIdResult { KmsKeyId = EbsEncryption.DefaultKeyId(settings) };
    }

    private static async Task<bool> SetEncryptionByDefaultAsync(RequestContext context, bool enabled)
    {
        var settings = await EbsEncryption.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        settings.EncryptionByDefault = enabled;
        await EbsEncryption.PutAsync(context.Transaction, context.Scope, settings, context.Now, context.Cancellation).ConfigureAwait(false);
        return enabled;
    }
}
