using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.KeyPairs;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using DomainKeyPairs = Stratus.Domain.KeyPairs.KeyPairs;

namespace Stratus.Server.Ec2;

/// <summary>Key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeKeyPairs")]
    private static readonly FilterSet<KeyPairResource> KeyPairFilters = new FilterSet<KeyPairResource>()
        .Add("fingerprint", k => k.Fingerprint)
        .Add("key-name", k => k.Name)
        .Add("key-pair-id", k => k.Id)
        .WithTags(k => k.Tags);

    public override async Task<KeyPair> CreateKeyPairAsync(RequestContext context, CreateKeyPairRequest request)
    {
        var name = DomainKeyPairs.CheckName(request.KeyName);
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.KeyPair.Name);
        await DomainKeyPairs.CheckNameFreeAsync(context.Store, context.Scope, name, context.Cancellation).ConfigureAwait(false);
        var generated = KeyMaterial.Generate(request.KeyType ?? KeyMaterial.Rsa, request.KeyFormat ?? KeyMaterial.Pem, name);
        var keyPair = new KeyPairResource
        {
            Id = ResourceIds.New(ResourceTypes.KeyPair.IdPrefix),
            Name = name,
            PublicKey = generated.PublicKey,
            Fingerprint = generated.Fingerprint,
            KeyType = generated.KeyType,
            CreateTime = context.Now,
            Imported = false,
            Tags = tags,
        };
        await DomainKeyPairs.AddAsync(context.Transaction, context.Scope, keyPair, context.Cancellation).ConfigureAwait(false);
        return new KeyPair
        {
            KeyName = keyPair.Name,
            KeyPairId = keyPair.Id,
            KeyFingerprint = keyPair.Fingerprint,
            KeyMaterial = generated.PrivateKeyMaterial,
            Tags = tags.Count > 0 ? ToShape(tags) : null,
        };
    }

    public override async Task<ImportKeyPairResult> ImportKeyPairAsync(RequestContext context, ImportKeyPairRequest request)
    {
        var name = DomainKeyPairs.CheckName(request.KeyName);
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.KeyPair.Name);
        var imported = KeyMaterial.Import(request.PublicKeyMaterial ?? throw AwsErrors.MissingParameter("PublicKeyMaterial"));
        var keyPair = new KeyPairResource
        {
            Id = ResourceIds.New(ResourceTypes.KeyPair.IdPrefix),
            Name = name,
            PublicKey = imported.PublicKey,
            Fingerprint = imported.Fingerprint,
            KeyType = imported.KeyType,
            CreateTime = context.Now,
            Imported = true,
            Tags = tags,
        };
        await DomainKeyPairs.AddAsync(context.Transaction, context.Scope, keyPair, context.Cancellation).ConfigureAwait(false);
        return new ImportKeyPairResult
        {
            KeyName = keyPair.Name,
            KeyPairId = keyPair.Id,
            KeyFingerprint = keyPair.Fingerprint,
            Tags = tags.Count > 0 ? ToShape(tags) : null,
        };
    }

    public override async Task<DescribeKeyPairsResult> DescribeKeyPairsAsync(RequestContext context, DescribeKeyPairsRequest request)
    {
        foreach (var id in request.KeyPairIds ?? [])
        {
            ResourceTypes.KeyPair.CheckId(id);
        }
        var all = await context.Store.ListAsync<KeyPairResource>(context.Scope, ResourceTypes.KeyPair, context.Cancellation).ConfigureAwait(false);
        IEnumerable<KeyPairResource> selected = all;
        var names = request.KeyNames is { Count: > 0 } n ? n : null;
        var ids = request.KeyPairIds is { Count: > 0 } i ? i : null;
        if (names is not null || ids is not null)
        {
            foreach (var name in (names ?? []).Where(name => !all.Exists(k => k.Name == name)))
            {
                throw DomainKeyPairs.NotFound(name);
            }
            foreach (var id in (ids ?? []).Where(id => !all.Exists(k => k.Id == id)))
            {
                throw ResourceTypes.KeyPair.NotFound(id);
            }
            selected = all.Where(k => (names?.Contains(k.Name) ?? false) || (ids?.Contains(k.Id) ?? false));
        }
        var includePublicKey = request.IncludePublicKey == true;
        return new DescribeKeyPairsResult
        {
            KeyPairs = KeyPairFilters.Apply(selected, ToCriteria(request.Filters))
                .OrderBy(k => k.Name, StringComparer.Ordinal)
                .Select(k => new KeyPairInfo
                {
                    KeyPairId = k.Id,
                    KeyName = k.Name,
                    KeyFingerprint = k.Fingerprint,
                    KeyType = k.KeyType,
                    CreateTime = k.CreateTime,
                    PublicKey = includePublicKey ? k.PublicKey : null,
                    Tags = ToShape(k.Tags),
                })
                .ToList(),
        };
    }

    /// <summary>
    /// Deletes by KeyPairId or KeyName. As in EC2, deleting a name that does not exist succeeds
    /// (Return true, no KeyPairId); an unknown or malformed KeyPairId is InvalidKeyPair.NotFound.
    /// </summary>
    public override async Task<DeleteKeyPairResult> DeleteKeyPairAsync(RequestContext context, DeleteKeyPairRequest request)
    {
        KeyPairResource? keyPair;
        if (!string.IsNullOrEmpty(request.KeyPairId))
        {
            keyPair = await DomainKeyPairs.GetByIdAsync(context.Store, context.Scope, request.KeyPairId, context.Cancellation).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(request.KeyName) && request.KeyName != keyPair.Name)
            {
                throw AwsErrors.InvalidParameterCombination($"The key pair '{request.KeyPairId}' is not named '{request.KeyName}'.");
            }
        }
        else if (!string.IsNullOrEmpty(request.KeyName))
        {
            keyPair = await DomainKeyPairs.FindByNameAsync(context.Store, context.Scope, request.KeyName, context.Cancellation).ConfigureAwait(false);
        }
        else
        {
            throw new AwsException("MissingParameter", "The request must contain the parameter KeyName or KeyPairId");
        }
        if (keyPair is null)
        {
            return new DeleteKeyPairResult { Return = true };
        }
        await context.Transaction.DeleteAsync(context.Scope, ResourceTypes.KeyPair, keyPair.Id, context.Cancellation).ConfigureAwait(false);
        return new DeleteKeyPairResult { Return = true, KeyPairId = keyPair.Id };
    }
}
