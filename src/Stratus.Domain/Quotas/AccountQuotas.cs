using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Quotas;

/// <summary>An account's applied value of a quota, kept once it differs from the catalog's.</summary>
public sealed class AppliedQuota
{
    public required string ServiceCode { get; init; }
    public required string QuotaCode { get; init; }
    public required double Value { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A quota increase request and what became of it (Service Quotas' <c>RequestedServiceQuotaChange</c>).</summary>
public sealed class QuotaChangeRequest
{
    public required string Id { get; init; }
    public required string ServiceCode { get; init; }
    public required string QuotaCode { get; init; }
    public required double DesiredValue { get; init; }
    public required string Status { get; set; }
    public required DateTime Created { get; init; }
    public required DateTime LastUpdated { get; set; }
    public required string Requester { get; init; }
    public required string Region { get; init; }
    public string? CaseId { get; init; }
}

/// <summary>A quota with the value that applies to an account in a region.</summary>
public sealed record QuotaValue(QuotaDefinition Definition, double Value);

/// <summary>
/// The quotas of an account, per region (per account for global ones): the catalog's value until
/// adjusted, by <c>stratus quotas set</c> or by an increase request, which Stratus approves at
/// once. Service Quotas' errors: <c>NoSuchResourceException</c> for an unknown service or quota,
/// <c>IllegalArgumentException</c> for a value that is not an increase.
/// </summary>
public static class AccountQuotas
{
    public static readonly ResourceType AppliedType = new("service-quota", "quota", "NoSuchResourceException", "NoSuchResourceException", "The request failed because the specified quota {0} does not exist.");
    public static readonly ResourceType RequestType = new("service-quota-request", "sqr", "NoSuchResourceException", "NoSuchResourceException", "The request failed because the specified request {0} does not exist.");

    /// <summary>The largest value Service Quotas accepts (the model's range of <c>QuotaValue</c>).</summary>
    public const double MaxValue = 10_000_000_000;

    /// <summary>Request statuses (the model's <c>RequestStatus</c>).</summary>
    public const string Pending = "PENDING", CaseOpened = "CASE_OPENED", Approved = "APPROVED", Denied = "DENIED", CaseClosed = "CASE_CLOSED", NotApproved = "NOT_APPROVED", InvalidRequest = "INVALID_REQUEST";

    public static IReadOnlyList<string> Statuses { get; } = [Pending, CaseOpened, Approved, Denied, CaseClosed, NotApproved, InvalidRequest];

    public static QuotaService RequireService(string? serviceCode) =>
        QuotaCatalog.FindService(serviceCode ?? "") ?? throw NoSuchService();

    public static QuotaDefinition Require(string? serviceCode, string? quotaCode)
    {
        RequireService(serviceCode);
        return QuotaCatalog.Find(serviceCode!, quotaCode ?? "") ?? throw NoSuchQuota();
    }

    public static AwsException NoSuchService() => new("NoSuchResourceException", "The request failed because the specified service does not exist.");

    public static AwsException NoSuchQuota() => new("NoSuchResourceException", "The request failed because the specified quota does not exist.");

    /// <summary>The value of <paramref name="quota"/> for the account and region of <paramref name="scope"/>.</summary>
    public static async Task<double> GetValueAsync(IStoreSession session, Scope scope, QuotaDefinition quota, CancellationToken ct = default)
    {
        var stored = await session.GetAsync<AppliedQuota>(StorageScope(scope, quota), AppliedType, Key(quota), ct).ConfigureAwait(false);
        return stored?.Value ?? quota.AccountDefault;
    }

    /// <summary>Every quota of a service with its applied value, ordered by code.</summary>
    public static async Task<IReadOnlyList<QuotaValue>> ListAsync(IStoreSession session, Scope scope, string serviceCode, CancellationToken ct = default)
    {
        RequireService(serviceCode);
        var regional = await session.ListAsync<AppliedQuota>(scope, AppliedType, ct).ConfigureAwait(false);
        var global = await session.ListAsync<AppliedQuota>(scope with { Region = "" }, AppliedType, ct).ConfigureAwait(false);
        return QuotaCatalog.OfService(serviceCode)
            .Select(q => new QuotaValue(q, (q.Global ? global : regional).Find(a => a.ServiceCode == q.ServiceCode && a.QuotaCode == q.Code)?.Value ?? q.AccountDefault))
            .ToList();
    }

    /// <summary>Sets the applied value (any value the model allows, lower or higher; the operator's command).</summary>
    public static async Task SetAsync(IStoreTransaction tx, Scope scope, QuotaDefinition quota, double value, DateTime now, CancellationToken ct = default)
    {
        CheckValue(value, "Value");
        var applied = new AppliedQuota { ServiceCode = quota.ServiceCode, QuotaCode = quota.Code, Value = value, UpdatedAt = now };
        await tx.PutAsync(StorageScope(scope, quota), AppliedType, Key(quota), applied, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// RequestServiceQuotaIncrease: the desired value must exceed the current one and the quota be
    /// adjustable; the request is approved at once (status <c>APPROVED</c>, no support case) and the
    /// new value applies from this transaction on.
    /// </summary>
    public static async Task<QuotaChangeRequest> RequestIncreaseAsync(IStoreTransaction tx, Scope scope, string? serviceCode, string? quotaCode, double? desiredValue,
        string requester, DateTime now, CancellationToken ct = default)
    {
        var quota = Require(serviceCode, quotaCode);
        var desired = desiredValue ?? throw new AwsException("IllegalArgumentException", "DesiredValue is required.");
        CheckValue(desired, "DesiredValue");
        if (!quota.Adjustable)
        {
            throw new AwsException("IllegalArgumentException", "The request failed because the specified quota is not adjustable.");
        }
        var current = await GetValueAsync(tx, scope, quota, ct).ConfigureAwait(false);
        if (desired <= current)
        {
            throw new AwsException("IllegalArgumentException",
                $"You must provide a quota value greater than the current quota value of {current.ToString("0.0##", CultureInfo.InvariantCulture)}");
        }
        var request = new QuotaChangeRequest
        {
            Id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            ServiceCode = quota.ServiceCode,
            QuotaCode = quota.Code,
            DesiredValue = desired,
            Status = Approved,
            Created = now,
            LastUpdated = now,
            Requester = requester,
            Region = scope.Region,
        };
        await tx.PutAsync(StorageScope(scope, quota), RequestType, request.Id, request, now, ct).ConfigureAwait(false);
        await SetAsync(tx, scope, quota, desired, now, ct).ConfigureAwait(false);
        return request;
    }

    /// <summary>The account's increase requests in a region (and of its global quotas), newest first, optionally of one service, quota or status.</summary>
    public static async Task<IReadOnlyList<QuotaChangeRequest>> ListRequestsAsync(IStoreSession session, Scope scope, string? serviceCode, string? quotaCode, string? status, CancellationToken ct = default)
    {
        if (serviceCode is not null)
        {
            RequireService(serviceCode);
        }
        if (quotaCode is not null)
        {
            Require(serviceCode, quotaCode);
        }
        if (status is not null && !Statuses.Contains(status))
        {
            throw new AwsException("IllegalArgumentException", $"Invalid status value '{status}'. Valid values: {string.Join(", ", Statuses)}.");
        }
        var all = (await session.ListAsync<QuotaChangeRequest>(scope, RequestType, ct).ConfigureAwait(false))
            .Concat(await session.ListAsync<QuotaChangeRequest>(scope with { Region = "" }, RequestType, ct).ConfigureAwait(false));
        return all.Where(r => (serviceCode is null || r.ServiceCode == serviceCode) && (quotaCode is null || r.QuotaCode == quotaCode) && (status is null || r.Status == status))
            .OrderByDescending(r => r.Created).ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>GetRequestedServiceQuotaChange: one request by id.</summary>
    public static async Task<QuotaChangeRequest> GetRequestAsync(IStoreSession session, Scope scope, string? requestId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(requestId))
        {
            throw new AwsException("IllegalArgumentException", "RequestId is required.");
        }
        return await session.GetAsync<QuotaChangeRequest>(scope, RequestType, requestId, ct).ConfigureAwait(false)
            ?? await session.GetAsync<QuotaChangeRequest>(scope with { Region = "" }, RequestType, requestId, ct).ConfigureAwait(false)
            ?? throw new AwsException("NoSuchResourceException", $"The request failed because the specified request {requestId} does not exist.");
    }

    private static void CheckValue(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value > MaxValue)
        {
            throw new AwsException("IllegalArgumentException", $"{name} must be between 0 and {MaxValue.ToString("0", CultureInfo.InvariantCulture)}.");
        }
    }

    private static Scope StorageScope(Scope scope, QuotaDefinition quota) => quota.Global ? scope with { Region = "" } : scope;

    private static string Key(QuotaDefinition quota) => quota.ServiceCode + "/" + quota.Code;
}
