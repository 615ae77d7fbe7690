using Stratus.Domain.Ebs;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>CopyVolumes (a copy of a volume in its zone) and EnableVolumeIO.</summary>
internal sealed partial class Ec2Service
{
    public override async Task<CopyVolumesResult> CopyVolumesAsync(RequestContext context, CopyVolumesRequest request)
    {
        var copy = await Volumes.CopyAsync(context.Transaction, context.Scope, request.SourceVolumeId!, request.VolumeType, request.Size, request.Iops, request.Throughput,
            request.MultiAttachEnabled, TagsOnCreate(request.TagSpecifications, "volume"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CopyVolumesResult { Volumes = [ToShape(copy, context.Now)] };
    }

    /// <summary>
    /// EnableVolumeIO: EC2 disables a volume's I/O when it finds its data possibly inconsistent
    /// (unless autoEnableIO is set) and this call enables it again. Stratus's volumes never have
    /// their I/O disabled (DescribeVolumeStatus reports io-enabled passed), so the call only checks
    /// that the volume is the caller's.
    /// </summary>
    public override async Task EnableVolumeIOAsync(RequestContext context, EnableVolumeIORequest request) =>
        await Volumes.GetAsync(context.Store, context.Scope, request.VolumeId!, context.Cancellation).ConfigureAwait(false);
}
