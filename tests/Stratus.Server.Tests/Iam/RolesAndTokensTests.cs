using Stratus.Core;
using Stratus.Domain.Accounts;
using Stratus.Domain.Iam;
using Stratus.Domain.Store;
using Stratus.Store.Sqlite;

namespace Stratus.Server.Tests.Iam;

/// <summary>IAM roles, trust policies and STS credentials in the domain, on a real SQLite store.</summary>
public sealed class RolesAndTokensTests : IAsyncLifetime
{
    private const string Account = "123456789012";
    private static readonly DateTime Now = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
    private static readonly string Trust = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{Account}}:root"},"Action":"sts:AssumeRole"}]}""";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-iam-tests-" + Guid.NewGuid().ToString("N"));
    private readonly SessionCredentialIssuer _issuer = new(new byte[32]);
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "stratus.db")));
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Roles_have_IAMs_identity_rules_and_errors()
    {
        await using var tx = await _store.BeginWriteAsync();
        var role = await Roles.CreateAsync(tx, Account, "Deployer", "/ci/", Trust, "deploys", null, [new("team", "infra")], Now);
        Assert.Equal($"arn:aws:iam::{Account}:role/ci/Deployer", role.Arn);
        Assert.Matches("^AROA[A-Z2-7]{17}$", role.RoleId);
        Assert.Equal(3600, role.MaxSessionDuration);
        Assert.Equal("EntityAlreadyExists", (await Assert.ThrowsAsync<AwsException>(() => Roles.CreateAsync(tx, Account, "deployer", null, Trust, null, null, null, Now))).Code);
        Assert.Equal("NoSuchEntity", (await Assert.ThrowsAsync<AwsException>(() => Roles.RequireAsync(tx, Account, "nobody"))).Code);
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() => Roles.CreateAsync(tx, Account, "bad name", null, Trust, null, null, null, Now))).Code);
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() => Roles.CreateAsync(tx, Account, "r2", "nopath", Trust, null, null, null, Now))).Code);
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() => Roles.CreateAsync(tx, Account, "r2", null, Trust, null, 100, null, Now))).Code);
        var malformed = await Assert.ThrowsAsync<AwsException>(() => Roles.CreateAsync(tx, Account, "r2", null, "{not json", null, null, null, Now));
        Assert.Equal(("MalformedPolicyDocument", "This policy contains invalid Json"), (malformed.Code, malformed.Message));
        Assert.Equal("MalformedPolicyDocument", (await Assert.ThrowsAsync<AwsException>(() =>
            Roles.CreateAsync(tx, Account, "r2", null, """{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}""", null, null, null, Now))).Code);
        // Names are unique case-insensitively and found that way; the other account has none.
        Assert.Equal("Deployer", (await Roles.RequireAsync(tx, Account, "DEPLOYER")).RoleName);
        Assert.Null(await Roles.FindAsync(tx, "210987654321", "Deployer"));
        await tx.CommitAsync();
    }

    [Fact]
    public async Task ListRoles_pages_in_name_order_and_filters_by_path()
    {
        await using (var tx = await _store.BeginWriteAsync())
        {
            foreach (var name in new[] { "c", "A", "b", "d" })
            {
                await Roles.CreateAsync(tx, Account, name, name == "d" ? "/other/" : null, Trust, null, null, null, Now);
            }
            await tx.CommitAsync();
        }
        await using var read = await _store.OpenReadAsync();
        var first = await Roles.ListAsync(read, Account, null, null, 2);
        Assert.Equal(["A", "b"], first.Roles.Select(r => r.RoleName));
        Assert.True(first.IsTruncated);
        var second = await Roles.ListAsync(read, Account, null, first.Marker, 2);
        Assert.Equal(["c", "d"], second.Roles.Select(r => r.RoleName));
        Assert.False(second.IsTruncated);
        Assert.Null(second.Marker);
        Assert.Equal(["d"], (await Roles.ListAsync(read, Account, "/other/", null, null)).Roles.Select(r => r.RoleName));
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() => Roles.ListAsync(read, Account, null, "garbage!", null))).Code);
    }

    [Fact]
    public async Task Tags_trust_policy_and_delete()
    {
        await using var tx = await _store.BeginWriteAsync();
        await Roles.CreateAsync(tx, Account, "tagged", null, Trust, null, null, [new("a", "1")], Now);
        await Roles.TagAsync(tx, Account, "tagged", [new("a", "2"), new("b", "3")]);
        Assert.Equal([new("a", "2"), new("b", "3")], (await Roles.RequireAsync(tx, Account, "tagged")).Tags);
        await Roles.UntagAsync(tx, Account, "tagged", ["a"]);
        Assert.Equal([new("b", "3")], (await Roles.RequireAsync(tx, Account, "tagged")).Tags);
        await Roles.UpdateTrustPolicyAsync(tx, Account, "tagged", """{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}""", Now);
        Assert.Contains("ec2.amazonaws.com", (await Roles.RequireAsync(tx, Account, "tagged")).AssumeRolePolicyDocument, StringComparison.Ordinal);
        await Roles.DeleteAsync(tx, Account, "tagged");
        Assert.Equal("NoSuchEntity", (await Assert.ThrowsAsync<AwsException>(() => Roles.DeleteAsync(tx, Account, "tagged"))).Code);
    }

    [Theory]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}""", true)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::123456789012:root"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}""", true)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"}]}""", true)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"}]}""", true)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", false)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}""", false)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:TagSession"}]}""", false)]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:*"}]}""", false)]
    public void Trust_policies_name_the_callers_account(string policy, bool trusted)
    {
        Assert.Equal(trusted, PolicyDocument.Parse(policy).Trusts(Account, $"arn:aws:iam::{Account}:root", "sts:AssumeRole"));
    }

    [Fact]
    public async Task AssumeRole_issues_expiring_credentials_the_issuer_resolves()
    {
        await using (var tx = await _store.BeginWriteAsync())
        {
            await Roles.CreateAsync(tx, Account, "app", null, Trust, null, 7200, null, Now);
            await tx.CommitAsync();
        }
        await using var read = await _store.OpenReadAsync();
        var root = new Principal(Account, "AKIAEXAMPLE");
        var assumed = await SecurityTokens.AssumeRoleAsync(read, _issuer, root, $"arn:aws:iam::{Account}:role/app", "build-42", 7200, Now);
        Assert.Equal($"arn:aws:sts::{Account}:assumed-role/app/build-42", assumed.Arn);
        Assert.Equal(Now.AddSeconds(7200), assumed.Credentials.Expiration);
        Assert.Matches("^ASIA[A-Z0-9]{16}$", assumed.Credentials.AccessKeyId);
        Assert.Equal(Account, SessionCredentialIssuer.AccountOfKeyId(assumed.Credentials.AccessKeyId));

        var resolved = _issuer.Resolve(assumed.Credentials.AccessKeyId, assumed.Credentials.SessionToken);
        Assert.Equal((SessionKind.AssumedRole, "app", "build-42", assumed.Credentials.SecretAccessKey), (resolved.Kind, resolved.RoleName, resolved.SessionName, resolved.SecretAccessKey));
        var caller = new Principal(Account, resolved.AccessKeyId, resolved);
        Assert.Equal(assumed.Arn, SecurityTokens.GetCallerIdentity(caller).Arn);
        Assert.Equal(assumed.AssumedRoleId, SecurityTokens.GetCallerIdentity(caller).UserId);
        SessionCredentialIssuer.CheckNotExpired(resolved, Now.AddSeconds(7199));
        Assert.Equal("ExpiredToken", Assert.Throws<AwsException>(() => SessionCredentialIssuer.CheckNotExpired(resolved, Now.AddSeconds(7200))).Code);
        Assert.Equal("InvalidClientTokenId", Assert.Throws<AwsException>(() => _issuer.Resolve(assumed.Credentials.AccessKeyId, assumed.Credentials.SessionToken[..^4] + "AAA=")).Code);

        // Role chaining is limited to an hour; the role's maximum bounds the rest.
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() =>
            SecurityTokens.AssumeRoleAsync(read, _issuer, caller, $"arn:aws:iam::{Account}:role/app", "again", 3601, Now))).Code);
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() =>
            SecurityTokens.AssumeRoleAsync(read, _issuer, root, $"arn:aws:iam::{Account}:role/app", "again", 7201, Now))).Code);
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() =>
            SecurityTokens.AssumeRoleAsync(read, _issuer, root, $"arn:aws:iam::{Account}:role/app", "again", 899, Now))).Code);
        Assert.Equal("ValidationError", (await Assert.ThrowsAsync<AwsException>(() =>
            SecurityTokens.AssumeRoleAsync(read, _issuer, root, $"arn:aws:iam::{Account}:role/app", "bad session", null, Now))).Code);
        var other = new Principal("210987654321", "AKIAOTHER");
        Assert.Equal("AccessDenied", (await Assert.ThrowsAsync<AwsException>(() =>
            SecurityTokens.AssumeRoleAsync(read, _issuer, other, $"arn:aws:iam::{Account}:role/app", "x1", null, Now))).Code);
        Assert.Equal("AccessDenied", (await Assert.ThrowsAsync<AwsException>(() =>
            SecurityTokens.AssumeRoleAsync(read, _issuer, root, $"arn:aws:iam::{Account}:role/missing", "x1", null, Now))).Code);
    }

    [Fact]
    public void Session_tokens_are_the_roots_for_an_hour_at_most()
    {
        var root = new Principal(Account, "AKIAEXAMPLE");
        var token = SecurityTokens.GetSessionToken(_issuer, root, null, Now);
        Assert.Equal(Now.AddHours(1), token.Expiration);
        var resolved = _issuer.Resolve(token.AccessKeyId, token.SessionToken);
        var caller = new Principal(Account, token.AccessKeyId, resolved);
        Assert.Equal(($"arn:aws:iam::{Account}:root", Account), (SecurityTokens.GetCallerIdentity(caller).Arn, SecurityTokens.GetCallerIdentity(caller).UserId));
        Assert.Equal("AccessDenied", Assert.Throws<AwsException>(() => SecurityTokens.GetSessionToken(_issuer, caller, null, Now)).Code);
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => SecurityTokens.GetSessionToken(_issuer, root, 600, Now)).Code);
    }

    [Fact]
    public void Instance_profile_credentials_still_resolve()
    {
        var credentials = _issuer.Issue(Account, "us-east-1", "i-0123456789abcdef0", "web", Now);
        var resolved = _issuer.Resolve(credentials.AccessKeyId, credentials.SessionToken);
        Assert.Equal(SessionKind.InstanceProfile, resolved.Kind);
        Assert.Equal($"arn:aws:sts::{Account}:assumed-role/web/i-0123456789abcdef0", new Principal(Account, resolved.AccessKeyId, resolved).Arn);
        Assert.Null(SessionCredentialIssuer.AccountOfKeyId(credentials.AccessKeyId));
    }
}
