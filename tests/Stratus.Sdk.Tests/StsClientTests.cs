using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.AspNetCore.Builder;
using Stratus.Domain.Accounts;
using Stratus.Domain.Iam;
using Stratus.Domain.Store;
using Stratus.Runtime;
using Stratus.Server;
using Stratus.Store.Sqlite;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>A clock that runs with real time, shifted by an offset a test can move.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

/// <summary>
/// A live server whose clock runs 20 minutes behind real time, accepting 30 minutes of clock
/// skew: requests the SDK signs now are accepted, and moving the clock forward lets credentials
/// issued "20 minutes ago" expire without waiting.
/// </summary>
public sealed class ClockServer : IAsyncLifetime
{
    private WebApplication? _app;
    private IStateStore? _store;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "stratus-sdk-tests-" + Guid.NewGuid().ToString("N"));
    public ShiftedClock Clock { get; } = new() { Offset = TimeSpan.FromMinutes(-20) };
    public string Endpoint { get; private set; } = null!;
    public AccountCredentials Root { get; private set; } = null!;
    public IStateStore Store => _store!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = DataDirectory,
            AwsConfigDirectory = null,
            MaxClockSkew = TimeSpan.FromMinutes(30),
        };
        _store = SqliteStateStore.Open(new SqliteStoreOptions(options.DatabasePath));
        _app = await StratusHost.CreateAsync(options, _store, InstanceRuntimes.Mock(), TextWriter.Null, Clock);
        await _app.StartAsync();
        Endpoint = _app.Urls.First();
        Root = (await new AccountService(_store, TimeProvider.System).BootstrapAsync()).Credentials;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        Directory.Delete(DataDirectory, recursive: true);
    }
}

/// <summary>STS with AWSSDK.SecurityToken and the credentials it issues used by AWSSDK.EC2.</summary>
public sealed class StsClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonSecurityTokenServiceClient Sts(AWSCredentials credentials) =>
        new(credentials, new AmazonSecurityTokenServiceConfig { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private AmazonEC2Client Ec2(AWSCredentials credentials) =>
        new(credentials, new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private BasicAWSCredentials RootCredentials => new(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey);

    [Fact]
    public async Task GetCallerIdentityWithRootKeysIsTheAccountRoot()
    {
        using var sts = Sts(RootCredentials);
        var identity = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());
        var account = server.Root.Account.AccountId;
        Assert.Equal((account, account, $"arn:aws:iam::{account}:root"), (identity.Account, identity.UserId, identity.Arn));
    }

    [Fact]
    public async Task AssumedRoleCredentialsWorkForEc2UntilTheyExpire()
    {
        var account = server.Root.Account.AccountId;
        await CreateRoleAsync("sdk-deployer", account);
        using var sts = Sts(RootCredentials);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = $"arn:aws:iam::{account}:role/sdk-deployer",
            RoleSessionName = "sdk-session",
            DurationSeconds = 900,
        });
        Assert.StartsWith("ASIA", assumed.Credentials.AccessKeyId, StringComparison.Ordinal);
        Assert.Equal($"arn:aws:sts::{account}:assumed-role/sdk-deployer/sdk-session", assumed.AssumedRoleUser.Arn);
        Assert.EndsWith(":sdk-session", assumed.AssumedRoleUser.AssumedRoleId, StringComparison.Ordinal);
        var expected = server.Clock.GetUtcNow().UtcDateTime.AddSeconds(900);
        Assert.InRange(assumed.Credentials.Expiration!.Value.ToUniversalTime(), expected.AddSeconds(-5), expected.AddSeconds(5));

        var session = new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken);
        using (var roleSts = Sts(session))
        {
            var who = await roleSts.GetCallerIdentityAsync(new GetCallerIdentityRequest());
            Assert.Equal($"arn:aws:sts::{account}:assumed-role/sdk-deployer/sdk-session", who.Arn);
            Assert.Equal(account, who.Account);
            var info = await roleSts.GetAccessKeyInfoAsync(new GetAccessKeyInfoRequest { AccessKeyId = assumed.Credentials.AccessKeyId });
            Assert.Equal(account, info.Account);
        }
        using var ec2 = Ec2(session);
        var regions = await ec2.DescribeRegionsAsync(new DescribeRegionsRequest());
        Assert.Contains(regions.Regions, r => r.RegionName == "us-east-1");

        // Sixteen minutes later (the server's clock) the 900-second credentials have expired.
        server.Clock.Offset += TimeSpan.FromMinutes(16);
        try
        {
            var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeRegionsAsync(new DescribeRegionsRequest()));
            Assert.Equal("ExpiredToken", error.ErrorCode);
        }
        finally
        {
            server.Clock.Offset -= TimeSpan.FromMinutes(16);
        }
    }

    [Fact]
    public async Task AssumeRoleRefusesUnknownRolesAndDurationsOverTheRolesMaximum()
    {
        var account = server.Root.Account.AccountId;
        await CreateRoleAsync("sdk-short", account);
        using var sts = Sts(RootCredentials);
        var denied = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = $"arn:aws:iam::{account}:role/no-such-role",
            RoleSessionName = "x1",
        }));
        Assert.Equal("AccessDenied", denied.ErrorCode);
        var tooLong = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = $"arn:aws:iam::{account}:role/sdk-short",
            RoleSessionName = "x1",
            DurationSeconds = 7200,
        }));
        Assert.Equal("ValidationError", tooLong.ErrorCode);
    }

    [Fact]
    public async Task GetSessionTokenGivesTheRootAnHourAtMost()
    {
        using var sts = Sts(RootCredentials);
        var token = await sts.GetSessionTokenAsync(new GetSessionTokenRequest { DurationSeconds = 7200 });
        var expected = server.Clock.GetUtcNow().UtcDateTime.AddHours(1);
        Assert.InRange(token.Credentials.Expiration!.Value.ToUniversalTime(), expected.AddSeconds(-5), expected.AddSeconds(5));
        var session = new SessionAWSCredentials(token.Credentials.AccessKeyId, token.Credentials.SecretAccessKey, token.Credentials.SessionToken);
        using var again = Sts(session);
        var who = await again.GetCallerIdentityAsync(new GetCallerIdentityRequest());
        Assert.Equal($"arn:aws:iam::{server.Root.Account.AccountId}:root", who.Arn);
        var refused = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => again.GetSessionTokenAsync(new GetSessionTokenRequest()));
        Assert.Equal("AccessDenied", refused.ErrorCode);
    }

    private async Task CreateRoleAsync(string name, string account)
    {
        await using var tx = await server.Store.BeginWriteAsync();
        if (await Roles.FindAsync(tx, account, name) is null)
        {
            var trust = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{account}}:root"},"Action":"sts:AssumeRole"}]}""";
            var role = await Roles.CreateAsync(tx, account, name, null, trust, null, null, null, DateTime.UtcNow);
            // Sessions of the role may do what these tests ask of them (GetCallerIdentity needs no permission).
            role.InlinePolicies.Add(new InlinePolicy("sdk-tests",
                """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetAccessKeyInfo","ec2:Describe*"],"Resource":"*"}]}"""));
            await Roles.SaveAsync(tx, account, role, default);
            await tx.CommitAsync();
        }
    }
}
