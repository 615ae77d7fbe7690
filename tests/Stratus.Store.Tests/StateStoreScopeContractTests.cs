using Stratus.Domain.Store;
using Xunit;

namespace Stratus.Store.Tests;

/// <summary>The accounts and regions holding resources of some types: what every store implementation must answer alike.</summary>
public abstract partial class StateStoreContractTests
{
    [Fact]
    public async Task ListScopes_AnswersEachScopeHoldingTheTypesOnceInOrder()
    {
        Assert.Empty(await ReadAsync(s => s.ListScopesAsync(["instance"])));

        await WriteAsync(tx => tx.PutManyAsync(
        [
            .. Enumerable.Range(0, 50).Select(i => Resource($"i-a{i:D2}", account: AccountB, region: "eu-west-1")),
            Resource("i-1", region: "us-west-2"),
            Resource("i-2", region: "eu-west-1"),
            Resource("i-3", region: "eu-west-1"),
            Resource("vol-1", type: "volume", region: "ap-south-1"),
            Resource("vol-2", type: "volume", account: AccountB, region: "eu-west-1"),
            Resource("role-1", type: "role", region: ""),
        ]));

        Assert.Equal(
            [new ResourceScope(AccountA, "eu-west-1"), new ResourceScope(AccountA, "us-west-2"), new ResourceScope(AccountB, "eu-west-1")],
            await ReadAsync(s => s.ListScopesAsync(["instance"])));
        Assert.Equal(
            [new ResourceScope(AccountA, "ap-south-1"), new ResourceScope(AccountA, "eu-west-1"), new ResourceScope(AccountA, "us-west-2"), new ResourceScope(AccountB, "eu-west-1")],
            await ReadAsync(s => s.ListScopesAsync(["volume", "instance", "volume"])));
        Assert.Equal([new ResourceScope(AccountA, "")], await ReadAsync(s => s.ListScopesAsync(["role"])));
        Assert.Empty(await ReadAsync(s => s.ListScopesAsync(["subnet"])));
        Assert.Empty(await ReadAsync(s => s.ListScopesAsync([])));

        // A scope whose last resource of the type goes is no longer answered; a transaction sees its own writes.
        await using (var tx = await Store.BeginWriteAsync())
        {
            await tx.DeleteAsync(Key("i-1", region: "us-west-2"));
            await tx.PutAsync(Resource("i-9", account: AccountB, region: "sa-east-1"));
            Assert.Equal(
                [new ResourceScope(AccountA, "eu-west-1"), new ResourceScope(AccountB, "eu-west-1"), new ResourceScope(AccountB, "sa-east-1")],
                await tx.ListScopesAsync(["instance"]));
            await tx.CommitAsync();
        }
        Assert.Equal(
            [new ResourceScope(AccountA, "eu-west-1"), new ResourceScope(AccountB, "eu-west-1"), new ResourceScope(AccountB, "sa-east-1")],
            await ReadAsync(s => s.ListScopesAsync(["instance"])));
    }
}
