using Stratus.Core;
using Stratus.Domain.Instances.Firmware;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>An instance's firmware state: its UEFI variable store and its NitroTPM endorsement keys.</summary>
internal sealed partial class Ec2Service
{
    public override async Task<GetInstanceUefiDataResult> GetInstanceUefiDataAsync(RequestContext context, GetInstanceUefiDataRequest request)
    {
        var instance = (await LoadInstancesAsync(context, [request.InstanceId ?? throw AwsErrors.MissingParameter("InstanceId")]).ConfigureAwait(false))[0];
        if (instance.UefiData is null)
        {
            throw new AwsException("UnsupportedOperation", $"The instance '{instance.Id}' does not boot with UEFI, so it has no UEFI variable store.");
        }
        return new GetInstanceUefiDataResult { InstanceId = instance.Id, UefiData = instance.UefiData };
    }

    public override async Task<GetInstanceTpmEkPubResult> GetInstanceTpmEkPubAsync(RequestContext context, GetInstanceTpmEkPubRequest request)
    {
        var id = request.InstanceId ?? throw AwsErrors.MissingParameter("InstanceId");
        NitroTpm.CheckRequest(request.KeyType, request.KeyFormat);
        var instance = (await LoadInstancesAsync(context, [id]).ConfigureAwait(false))[0];
        if (instance.TpmEndorsementKeys is not { } keys)
        {
            throw new AwsException("UnsupportedOperation", $"The instance '{instance.Id}' does not have NitroTPM enabled.");
        }
        return new GetInstanceTpmEkPubResult
        {
            InstanceId = instance.Id,
            KeyType = request.KeyType,
            KeyFormat = request.KeyFormat,
            KeyValue = NitroTpm.PublicKey(keys, request.KeyType!, request.KeyFormat!),
        };
    }
}
