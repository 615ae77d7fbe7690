using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Quotas;
using Stratus.Server.Gateway;
using Stratus.Services.Model.ServiceQuotas;
using DomainQuotas = Stratus.Domain.Quotas.AccountQuotas;

namespace Stratus.Server.ServiceQuotas;

/// <summary>
/// Service Quotas (json 1.1): the services and quotas Stratus keeps (src/Stratus.Domain/Quotas),
/// their applied and AWS default values, and increase requests, which are approved at once.
/// Lists page with an opaque NextToken (MaxResults 1..100, default 100).
/// </summary>
internal sealed class ServiceQuotasService : ServiceQuotasServiceBase<RequestContext>, IAwsService
{
    /// <summary>The operations this class implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(ServiceQuotasService));

    Stratus.Protocol.Model.ServiceInfo IAwsService.Model => ServiceQuotasShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    public override Task<ListServicesResponse> ListServicesAsync(RequestContext context, ListServicesRequest request)
    {
        var (items, next) = Page(QuotaCatalog.Services.OrderBy(s => s.Code, StringComparer.Ordinal).ToList(), s => s.Code, request.MaxResults, request.NextToken);
        return Task.FromResult(new ListServicesResponse
        {
            Services = items.Select(s => new Stratus.Services.Model.ServiceQuotas.ServiceInfo { ServiceCode = s.Code, ServiceName = s.Name }).ToList(),
            NextToken = next,
        });
    }

    public override async Task<ListServiceQuotasResponse> ListServiceQuotasAsync(RequestContext context, ListServiceQuotasRequest request)
    {
        CheckLevel(request.QuotaAppliedAtLevel);
        var quotas = await DomainQuotas.ListAsync(context.Store, context.Scope, request.ServiceCode ?? throw Missing("ServiceCode"), context.Cancellation).ConfigureAwait(false);
        if (request.QuotaCode is { } code)
        {
            quotas = quotas.Where(q => q.Definition.Code == code).ToList();
            if (quotas.Count == 0)
            {
                throw DomainQuotas.NoSuchQuota();
            }
        }
        var (items, next) = Page(quotas, q => q.Definition.Code, request.MaxResults, request.NextToken);
        return new ListServiceQuotasResponse { Quotas = items.Select(q => ToShape(context, q.Definition, q.Value, applied: true)).ToList(), NextToken = next };
    }

    public override async Task<GetServiceQuotaResponse> GetServiceQuotaAsync(RequestContext context, GetServiceQuotaRequest request)
    {
        var quota = DomainQuotas.Require(request.ServiceCode, request.QuotaCode);
        CheckContext(request.ContextId);
        var value = await DomainQuotas.GetValueAsync(context.Store, context.Scope, quota, context.Cancellation).ConfigureAwait(false);
        return new GetServiceQuotaResponse { Quota = ToShape(context, quota, value, applied: true) };
    }

    public override Task<GetAWSDefaultServiceQuotaResponse> GetAWSDefaultServiceQuotaAsync(RequestContext context, GetAWSDefaultServiceQuotaRequest request)
    {
        var quota = DomainQuotas.Require(request.ServiceCode, request.QuotaCode);
        return Task.FromResult(new GetAWSDefaultServiceQuotaResponse { Quota = ToShape(context, quota, quota.AwsDefault, applied: false) });
    }

    public override async Task<RequestServiceQuotaIncreaseResponse> RequestServiceQuotaIncreaseAsync(RequestContext context, RequestServiceQuotaIncreaseRequest request)
    {
        CheckContext(request.ContextId);
        var change = await DomainQuotas.RequestIncreaseAsync(context.Transaction, context.Scope, request.ServiceCode, request.QuotaCode, request.DesiredValue,
            context.Caller.Arn, context.Now, context.Cancellation).ConfigureAwait(false);
        return new RequestServiceQuotaIncreaseResponse { RequestedQuota = ToShape(context, change) };
    }

    public override async Task<GetRequestedServiceQuotaChangeResponse> GetRequestedServiceQuotaChangeAsync(RequestContext context, GetRequestedServiceQuotaChangeRequest request) =>
        new() { RequestedQuota = ToShape(context, await DomainQuotas.GetRequestAsync(context.Store, context.Scope, request.RequestId, context.Cancellation).ConfigureAwait(false)) };

    public override async Task<ListRequestedServiceQuotaChangeHistoryResponse> ListRequestedServiceQuotaChangeHistoryAsync(RequestContext context, ListRequestedServiceQuotaChangeHistoryRequest request)
    {
        CheckLevel(request.QuotaRequestedAtLevel);
        var all = await DomainQuotas.ListRequestsAsync(context.Store, context.Scope, request.ServiceCode, null, request.Status, context.Cancellation).ConfigureAwait(false);
        var (items, next) = Page(all, r => r.Id, request.MaxResults, request.NextToken);
        return new ListRequestedServiceQuotaChangeHistoryResponse { RequestedQuotas = items.Select(r => ToShape(context, r)).ToList(), NextToken = next };
    }

    public override async Task<ListRequestedServiceQuotaChangeHistoryByQuotaResponse> ListRequestedServiceQuotaChangeHistoryByQuotaAsync(RequestContext context,
        ListRequestedServiceQuotaChangeHistoryByQuotaRequest request)
    {
        CheckLevel(request.QuotaRequestedAtLevel);
        var all = await DomainQuotas.ListRequestsAsync(context.Store, context.Scope, request.ServiceCode ?? throw Missing("ServiceCode"),
            request.QuotaCode ?? throw Missing("QuotaCode"), request.Status, context.Cancellation).ConfigureAwait(false);
        var (items, next) = Page(all, r => r.Id, request.MaxResults, request.NextToken);
        return new ListRequestedServiceQuotaChangeHistoryByQuotaResponse { RequestedQuotas = items.Select(r => ToShape(context, r)).ToList(), NextToken = next };
    }

    private static ServiceQuota ToShape(RequestContext context, QuotaDefinition quota, double value, bool applied) => new()
    {
        ServiceCode = quota.ServiceCode,
        ServiceName = quota.Service.Name,
        QuotaArn = quota.Arn(context.Region, applied ? context.AccountId : null),
        QuotaCode = quota.Code,
        QuotaName = quota.Name,
        Value = value,
        Unit = quota.Unit,
        Adjustable = quota.Adjustable,
        GlobalQuota = quota.Global,
        QuotaAppliedAtLevel = "ACCOUNT",
        UsageMetric = quota.Usage is { } usage
            ? new MetricInfo
            {
                MetricNamespace = usage.Namespace,
                MetricName = usage.Name,
                MetricDimensions = usage.Dimensions.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal),
                MetricStatisticRecommendation = usage.StatisticRecommendation,
            }
            : null,
    };

    private static RequestedServiceQuotaChange ToShape(RequestContext context, QuotaChangeRequest change)
    {
        var quota = QuotaCatalog.Find(change.ServiceCode, change.QuotaCode)!;
        return new RequestedServiceQuotaChange
        {
            Id = change.Id,
            CaseId = change.CaseId,
            ServiceCode = quota.ServiceCode,
            ServiceName = quota.Service.Name,
            QuotaCode = quota.Code,
            QuotaName = quota.Name,
            DesiredValue = change.DesiredValue,
            Status = change.Status,
            Created = change.Created,
            LastUpdated = change.LastUpdated,
            Requester = change.Requester,
            QuotaArn = quota.Arn(change.Region.Length == 0 ? context.Region : change.Region, context.AccountId),
            GlobalQuota = quota.Global,
            Unit = quota.Unit,
            QuotaRequestedAtLevel = "ACCOUNT",
        };
    }

    /// <summary>One page of <paramref name="items"/> (already in order) after the token's key.</summary>
    private static (List<T> Items, string? Next) Page<T>(IReadOnlyList<T> items, Func<T, string> key, int? maxResults, string? nextToken)
    {
        var max = maxResults ?? 100;
        if (max is < 1 or > 100)
        {
            throw new AwsException("IllegalArgumentException", "Invalid MaxResults value. It must be between 1 and 100.");
        }
        var start = 0;
        if (nextToken is not null)
        {
            string after;
            try
            {
                after = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(nextToken));
            }
            catch (FormatException)
            {
                throw new AwsException("InvalidPaginationTokenException", "Invalid pagination token.");
            }
            start = items.ToList().FindIndex(i => key(i) == after) + 1;
            if (start == 0)
            {
                throw new AwsException("InvalidPaginationTokenException", "Invalid pagination token.");
            }
        }
        var page = items.Skip(start).Take(max).ToList();
        var next = start + page.Count < items.Count ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key(page[^1]))) : null;
        return (page, next);
    }

    private static void CheckLevel(string? level)
    {
        if (level is not (null or "ACCOUNT" or "ALL"))
        {
            throw new AwsException("IllegalArgumentException", string.Create(CultureInfo.InvariantCulture, $"Stratus keeps account-level quotas only; level {level} has none."));
        }
    }

    private static void CheckContext(string? contextId)
    {
        if (contextId is not null)
        {
            throw new AwsException("IllegalArgumentException", "The specified quota has no resource-level context.");
        }
    }

    private static AwsException Missing(string member) => new("IllegalArgumentException", $"{member} is required.");
}
