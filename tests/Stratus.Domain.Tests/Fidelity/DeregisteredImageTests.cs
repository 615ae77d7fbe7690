using Stratus.Core;
using Stratus.Domain.Images;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Store.Sqlite;
using ImageRules = Stratus.Domain.Images.Images;

namespace Stratus.Domain.Tests.Fidelity;

/// <summary>
/// A deregistered image as EC2 shows it: listed in state <c>deregistered</c> for a short interval,
/// then known (empty answers for its id, <c>InvalidAMIID.Unavailable</c> elsewhere) for an hour,
/// then not found; the owner's and shared accounts see it alike.
/// </summary>
public sealed class DeregisteredImageTests : IAsyncLifetime
{
    private static readonly Scope Owner = new("123456789012", "us-east-1");
    private static readonly Scope Shared = new("210987654321", "us-east-1");
    private static readonly Scope Stranger = new("111122223333", "us-east-1");
    private static readonly DateTime Now = new(2026, 12, 6, 15, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-domain-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static ImageResource NewImage() => new()
    {
        Id = ResourceIds.New(ResourceTypes.Image.IdPrefix),
        OwnerId = Owner.AccountId,
        Name = "mine-" + Guid.NewGuid().ToString("N")[..8],
        CreationDate = Now,
        LaunchPermissions = [Shared.AccountId],
        BlockDevices = [new ImageBlockDevice { DeviceName = "/dev/xvda", SnapshotId = "snap-0123456789abcdef0", VolumeSize = 8 }],
    };

    private async Task<ImageResource> RegisterAndDeregisterAsync(DateTime at)
    {
        var image = NewImage();
        await using var tx = await _store.BeginWriteAsync();
        await tx.PutAsync(Owner, ResourceTypes.Image, image.Id, image, at);
        await ImageRules.DeregisterAsync(tx, Owner, image, at);
        await tx.CommitAsync();
        return image;
    }

    private async Task<List<(VisibleImage Image, DateTime DeregisteredAt)>> DeregisteredAsync(Scope scope, DateTime at)
    {
        await using var session = await _store.OpenReadAsync();
        return await ImageRules.ListDeregisteredAsync(session, scope, at);
    }

    [Fact]
    public async Task TheImageGoesButWhatItWasIsKeptAsDeregistered()
    {
        var image = await RegisterAndDeregisterAsync(Now);
        await using (var session = await _store.OpenReadAsync())
        {
            Assert.Null(await session.GetAsync<ImageResource>(Owner, ResourceTypes.Image, image.Id));
            Assert.DoesNotContain(await ImageRules.ListVisibleAsync(session, Owner), v => v.Image.Id == image.Id);
        }
        var (kept, at) = Assert.Single(await DeregisteredAsync(Owner, Now.AddSeconds(1)));
        Assert.Equal((image.Id, "deregistered", Now), (kept.Image.Id, kept.Image.State, at));
        Assert.Equal("snap-0123456789abcdef0", kept.Image.BlockDevices[0].SnapshotId);
        Assert.Single(await DeregisteredAsync(Shared, Now.AddSeconds(1)));
        Assert.Empty(await DeregisteredAsync(Stranger, Now.AddSeconds(1)));
    }

    [Fact]
    public async Task ItIsForgottenAfterAnHour()
    {
        await RegisterAndDeregisterAsync(Now);
        Assert.Single(await DeregisteredAsync(Owner, Now + ImageRules.DeregisteredKnownFor - TimeSpan.FromSeconds(1)));
        Assert.Empty(await DeregisteredAsync(Owner, Now + ImageRules.DeregisteredKnownFor));
        Assert.True(ImageRules.DeregisteredVisibleFor < ImageRules.DeregisteredKnownFor);
    }

    [Fact]
    public async Task OldRecordsAreRemovedByTheNextDeregistration()
    {
        var first = await RegisterAndDeregisterAsync(Now);
        await RegisterAndDeregisterAsync(Now + ImageRules.DeregisteredKnownFor + TimeSpan.FromMinutes(1));
        await using var session = await _store.OpenReadAsync();
        Assert.Null(await session.GetAsync<DeregisteredImageRecord>(Owner, ResourceTypes.DeregisteredImage, first.Id));
    }

    [Fact]
    public async Task LaunchingItIsRefusedAsUnavailableThenNotFound()
    {
        var image = await RegisterAndDeregisterAsync(Now);
        await using var session = await _store.OpenReadAsync();
        var e = await Assert.ThrowsAsync<AwsException>(() => ImageRules.GetLaunchableAsync(session, Owner, image.Id, Now.AddMinutes(5)));
        Assert.Equal(("InvalidAMIID.Unavailable", $"The image id '[{image.Id}]' is no longer available"), (e.Code, e.Message));
        e = await Assert.ThrowsAsync<AwsException>(() => ImageRules.GetLaunchableAsync(session, Owner, image.Id, Now.AddHours(2)));
        Assert.Equal("InvalidAMIID.NotFound", e.Code);
    }

    [Fact]
    public void NotFoundNamesEveryMissingId()
    {
        Assert.Equal("The image id '[ami-0123456789abcdef0]' does not exist", ImageRules.NotFound(["ami-0123456789abcdef0"]).Message);
        var e = ImageRules.NotFound(["ami-0123456789abcdef0", "ami-0123456789abcdef1"]);
        Assert.Equal(("InvalidAMIID.NotFound", "The image ids '[ami-0123456789abcdef0, ami-0123456789abcdef1]' do not exist"), (e.Code, e.Message));
    }
}
