using System.Globalization;
using System.Text;
using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Compute.ReservedInstances;
using Stratus.Domain.Filtering;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using Ri = Stratus.Domain.Compute.ReservedInstances.ReservedInstances;

namespace Stratus.Server.Ec2;

/// <summary>
/// Reserved Instances: offerings generated from the instance-type catalogue
/// (<see cref="ReservedInstanceOfferings"/>), purchases, queued purchases, modifications and
/// exchanges of convertible Reserved Instances.
/// </summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeReservedInstancesOfferings")]
    private static readonly FilterSet<ReservedInstanceOffering> RiOfferingFilters = new FilterSet<ReservedInstanceOffering>()
        .Add("availability-zone", o => o.AvailabilityZone)
        .Add("availability-zone-id", o => o.AvailabilityZoneId)
        .Add("duration", o => o.Duration.ToString(CultureInfo.InvariantCulture))
        .Add("fixed-price", o => Price(o.FixedPrice))
        .Add("instance-type", o => o.InstanceType)
        .Add("marketplace", _ => false)
        .Add("product-description", o => o.ProductDescription)
        .Add("reserved-instances-offering-id", o => o.Id)
        .Add("scope", o => o.Scope)
        .Add("usage-price", _ => "0.0");

    [FiltersFor("DescribeReservedInstances")]
    private static readonly FilterSet<ReservedInstancesResource> ReservedInstanceFilters = new FilterSet<ReservedInstancesResource>()
        .Add("availability-zone", r => r.AvailabilityZone)
        .Add("availability-zone-id", r => r.AvailabilityZoneId)
        .Add("duration", r => r.Duration.ToString(CultureInfo.InvariantCulture))
        .Add("end", r => EventTimestamp(r.End))
        .Add("fixed-price", r => Price(r.FixedPrice))
        .Add("instance-type", r => r.InstanceType)
        .Add("product-description", r => r.ProductDescription)
        .Add("reserved-instances-id", r => r.Id)
        .Add("scope", r => r.Scope)
        .Add("start", r => EventTimestamp(r.Start))
        .Add("state", r => r.State)
        .Add("usage-price", _ => "0.0")
        .WithTags(r => r.Tags);

    [FiltersFor("DescribeReservedInstancesModifications")]
    private static readonly FilterSet<ReservedInstancesModificationResource> ModificationFilters = new FilterSet<ReservedInstancesModificationResource>()
        .Add("client-token", m => m.ClientToken)
        .Add("create-date", m => EventTimestamp(m.CreateDate))
        .Add("effective-date", m => EventTimestamp(m.EffectiveDate))
        .AddMany("modification-result.reserved-instances-id", m => m.Results.Select(r => r.ReservedInstancesId))
        .AddMany("modification-result.target-configuration.availability-zone", m => m.Results.Select(r => r.Target.AvailabilityZone))
        .AddMany("modification-result.target-configuration.availability-zone-id", m => m.Results.Select(r => r.Target.AvailabilityZoneId))
        .AddMany("modification-result.target-configuration.instance-type", m => m.Results.Select(r => r.Target.InstanceType))
        .AddMany("reserved-instances-id", m => m.ReservedInstancesIds)
        .Add("reserved-instances-modification-id", m => m.Id)
        .Add("status", m => m.Status)
        .Add("status-message", _ => null)
        .Add("update-date", m => EventTimestamp(m.EffectiveDate));

    private static string Price(decimal price) => price.ToString("0.0###", CultureInfo.InvariantCulture);

    private const string OfferingTokenPrefix = "stratus-rio:";

    public override Task<DescribeReservedInstancesOfferingsResult> DescribeReservedInstancesOfferingsAsync(RequestContext context, DescribeReservedInstancesOfferingsRequest request)
    {
        var region = RegionCatalog.Get(context.Region);
        if (request.ReservedInstancesOfferingIds is { Count: > 0 } ids)
        {
            var named = new List<ReservedInstanceOffering>();
            foreach (var id in ids.Distinct(StringComparer.Ordinal))
            {
                named.Add(ReservedInstanceOfferings.Find(context.Region, id)
                    ?? throw new AwsException("InvalidReservedInstancesOfferingId", $"The Reserved Instances offering '{id}' is not valid."));
            }
            var filtered = RiOfferingFilters.Apply(named, ToCriteria(request.Filters)).ToList();
            return Task.FromResult(new DescribeReservedInstancesOfferingsResult { ReservedInstancesOfferings = filtered.ConvertAll(ToShape) });
        }
        if (request.InstanceType is { } type && InstanceTypeCatalog.Find(type) is null)
        {
            throw AwsErrors.InvalidParameterValue($"Invalid value '{type}' for InstanceType.");
        }
        if (request.InstanceTenancy == "host")
        {
            throw AwsErrors.InvalidParameterValue("Reserved Instances are not offered for tenancy 'host'; see DescribeHostReservationOfferings.");
        }
        string? zone = null;
        if (request.AvailabilityZone is not null || request.AvailabilityZoneId is not null)
        {
            zone = region.Zones.FirstOrDefault(z => z.ZoneName == request.AvailabilityZone || z.ZoneId == request.AvailabilityZoneId)?.ZoneName
                ?? throw AwsErrors.InvalidParameterValue($"Invalid availability zone: [{request.AvailabilityZone ?? request.AvailabilityZoneId}]");
        }
        if (request.ProductDescription is { } product && !Stratus.Domain.Spot.SpotPriceModel.IsKnownProduct(product))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({product}) for parameter productDescription is invalid.");
        }
        if (request.MinDuration is { } min && request.MaxDuration is { } max && min > max)
        {
            throw AwsErrors.InvalidParameterValue("MinDuration must not be greater than MaxDuration.");
        }
        // Literal instance-type filters narrow the generation; the filter set checks everything.
        var criteria = ToCriteria(request.Filters);
        HashSet<string>? types = request.InstanceType is { } t ? [t] : null;
        var typeFilter = request.Filters?.FirstOrDefault(f => f.Name == "instance-type");
        if (types is null && typeFilter?.Values is { Count: > 0 } values && values.TrueForAll(v => !v.Contains('*', StringComparison.Ordinal) && !v.Contains('?', StringComparison.Ordinal)))
        {
            types = [.. values];
        }
        var query = new OfferingQuery(types, zone, request.ProductDescription, request.InstanceTenancy, request.OfferingClass, request.OfferingType,
            request.MinDuration, request.MaxDuration);
        Paginator.CheckMaxResults(request.MaxResults, 1, 100);
        var pageSize = request.MaxResults ?? 100;
        ulong? after = null;
        if (!string.IsNullOrEmpty(request.NextToken))
        {
            after = DecodeOfferingToken(request.NextToken);
        }
        // MaxInstanceCount limits Marketplace listings; Stratus has no third-party sellers, so
        // IncludeMarketplace adds nothing and every offering is AWS's own (Marketplace false).
        var page = RiOfferingFilters.Apply(ReservedInstanceOfferings.Enumerate(context.Region, query, after), criteria).Take(pageSize + 1).ToList();
        string? next = null;
        if (page.Count > pageSize)
        {
            page.RemoveAt(page.Count - 1);
            next = Convert.ToBase64String(Encoding.UTF8.GetBytes(OfferingTokenPrefix + page[^1].Position.ToString(CultureInfo.InvariantCulture)));
        }
        return Task.FromResult(new DescribeReservedInstancesOfferingsResult { ReservedInstancesOfferings = page.ConvertAll(ToShape), NextToken = next });
    }

    private static ulong DecodeOfferingToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith(OfferingTokenPrefix, StringComparison.Ordinal) && ulong.TryParse(text.AsSpan(OfferingTokenPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            {
                return position;
            }
        }
        catch (FormatException)
        {
        }
        throw AwsErrors.InvalidPaginationToken(token);
    }

    private static ReservedInstancesOffering ToShape(ReservedInstanceOffering o) => new()
    {
        ReservedInstancesOfferingId = o.Id,
        InstanceType = o.InstanceType,
        AvailabilityZone = o.AvailabilityZone,
        AvailabilityZoneId = o.AvailabilityZoneId,
        Duration = o.Duration,
        FixedPrice = (float)o.FixedPrice,
        UsagePrice = 0f,
        CurrencyCode = "USD",
        ProductDescription = o.ProductDescription,
        InstanceTenancy = o.InstanceTenancy,
        OfferingClass = o.OfferingClass,
        OfferingType = o.OfferingType,
        Marketplace = false,
        PricingDetails = [],
        RecurringCharges = [new RecurringCharge { Amount = (double)o.HourlyCharge, Frequency = "Hourly" }],
        Scope = o.Scope,
    };

    public override async Task<PurchaseReservedInstancesOfferingResult> PurchaseReservedInstancesOfferingAsync(RequestContext context, PurchaseReservedInstancesOfferingRequest request)
    {
        if (request.LimitPrice is { CurrencyCode: { } currency } && currency != "USD")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({currency}) for parameter limitPrice.currencyCode is invalid. Valid values are: USD.");
        }
        var ri = await Ri.PurchaseAsync(context.Transaction, context.Scope, request.ReservedInstancesOfferingId, request.InstanceCount,
            request.LimitPrice?.Amount is { } amount ? (decimal)amount : null, request.PurchaseTime, [], context.Now, context.Cancellation).ConfigureAwait(false);
        return new PurchaseReservedInstancesOfferingResult { ReservedInstancesId = ri.Id };
    }

    public override async Task<DescribeReservedInstancesResult> DescribeReservedInstancesAsync(RequestContext context, DescribeReservedInstancesRequest request)
    {
        List<ReservedInstancesResource> all;
        if (request.ReservedInstancesIds is { Count: > 0 } ids)
        {
            all = [];
            foreach (var id in ids.Distinct(StringComparer.Ordinal))
            {
                all.Add(await Ri.RequireAsync(context.Store, context.Scope, id, context.Cancellation).ConfigureAwait(false));
            }
        }
        else
        {
            all = await context.Store.ListAsync<ReservedInstancesResource>(context.Scope, ResourceTypes.ReservedInstances, context.Cancellation).ConfigureAwait(false);
        }
        foreach (var ri in all)
        {
            ri.State = Ri.StateAt(ri, context.Now);
        }
        var selected = ReservedInstanceFilters.Apply(all, ToCriteria(request.Filters))
            .Where(r => (request.OfferingClass is not { } c || r.OfferingClass == c) && (request.OfferingType is not { } o || r.OfferingType == o))
            .OrderBy(r => r.CreateTime).ThenBy(r => r.Id, StringComparer.Ordinal);
        return new DescribeReservedInstancesResult { ReservedInstances = selected.Select(ToShape).ToList() };
    }

    private static Stratus.Ec2.Model.ReservedInstances ToShape(ReservedInstancesResource r) => new()
    {
        ReservedInstancesId = r.Id,
        InstanceType = r.InstanceType,
        AvailabilityZone = r.AvailabilityZone,
        AvailabilityZoneId = r.AvailabilityZoneId,
        Start = r.Start,
        End = r.End,
        Duration = r.Duration,
        UsagePrice = 0f,
        FixedPrice = (float)r.FixedPrice,
        InstanceCount = r.InstanceCount,
        ProductDescription = r.ProductDescription,
        State = r.State,
        Tags = ToShape(r.Tags),
        InstanceTenancy = r.InstanceTenancy,
        CurrencyCode = "USD",
        OfferingType = r.OfferingType,
        RecurringCharges = [new RecurringCharge { Amount = (double)r.HourlyCharge, Frequency = "Hourly" }],
        OfferingClass = r.OfferingClass,
        Scope = r.Scope,
    };

    public override async Task<DeleteQueuedReservedInstancesResult> DeleteQueuedReservedInstancesAsync(RequestContext context, DeleteQueuedReservedInstancesRequest request)
    {
        if (request.ReservedInstancesIds is not { Count: > 0 } ids)
        {
            throw AwsErrors.MissingParameter("ReservedInstancesId");
        }
        var result = new DeleteQueuedReservedInstancesResult { SuccessfulQueuedPurchaseDeletions = [], FailedQueuedPurchaseDeletions = [] };
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (await Ri.DeleteQueuedAsync(context.Transaction, context.Scope, id, context.Now, context.Cancellation).ConfigureAwait(false) is { } error)
            {
                result.FailedQueuedPurchaseDeletions.Add(new FailedQueuedPurchaseDeletion
                {
                    ReservedInstancesId = id,
                    Error = new DeleteQueuedReservedInstancesError { Code = error.Code, Message = error.Message },
                });
            }
            else
            {
                result.SuccessfulQueuedPurchaseDeletions.Add(new SuccessfulQueuedPurchaseDeletion { ReservedInstancesId = id });
            }
        }
        return result;
    }

    public override async Task<ModifyReservedInstancesResult> ModifyReservedInstancesAsync(RequestContext context, ModifyReservedInstancesRequest request)
    {
        if (request.ClientToken is { } token)
        {
            var earlier = (await context.Store.ListAsync<ReservedInstancesModificationResource>(context.Scope, ResourceTypes.ReservedInstancesModification, context.Cancellation).ConfigureAwait(false))
                .FirstOrDefault(m => m.ClientToken == token);
            if (earlier is not null)
            {
                return new ModifyReservedInstancesResult { ReservedInstancesModificationId = earlier.Id };
            }
        }
        var targets = request.TargetConfigurations?.Select(t => new ModificationTarget(t.AvailabilityZone, t.AvailabilityZoneId,
            t.Scope ?? (t.AvailabilityZone is null && t.AvailabilityZoneId is null ? ReservedInstanceOfferings.RegionScope : ReservedInstanceOfferings.ZoneScope),
            t.InstanceCount ?? throw AwsErrors.MissingParameter("InstanceCount"), t.InstanceType ?? throw AwsErrors.MissingParameter("InstanceType"), t.Platform)).ToList();
        var modification = await Ri.ModifyAsync(context.Transaction, context.Scope, request.ReservedInstancesIds, targets, request.ClientToken, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyReservedInstancesResult { ReservedInstancesModificationId = modification.Id };
    }

    public override async Task<DescribeReservedInstancesModificationsResult> DescribeReservedInstancesModificationsAsync(RequestContext context, DescribeReservedInstancesModificationsRequest request)
    {
        var all = await context.Store.ListAsync<ReservedInstancesModificationResource>(context.Scope, ResourceTypes.ReservedInstancesModification, context.Cancellation).ConfigureAwait(false);
        foreach (var id in request.ReservedInstancesModificationIds ?? [])
        {
            ResourceTypes.ReservedInstancesModification.CheckId(id);
            if (!all.Exists(m => m.Id == id))
            {
                throw ResourceTypes.ReservedInstancesModification.NotFound(id);
            }
        }
        var named = request.ReservedInstancesModificationIds is { Count: > 0 } ids ? all.Where(m => ids.Contains(m.Id)) : all;
        var page = Paginator.Paginate(ModificationFilters.Apply(named, ToCriteria(request.Filters)).OrderBy(m => m.Id, StringComparer.Ordinal), m => m.Id, null, request.NextToken);
        return new DescribeReservedInstancesModificationsResult
        {
            ReservedInstancesModifications = page.Items.Select(m => new ReservedInstancesModification
            {
                ReservedInstancesModificationId = m.Id,
                ClientToken = m.ClientToken,
                CreateDate = m.CreateDate,
                EffectiveDate = m.EffectiveDate,
                UpdateDate = m.EffectiveDate,
                Status = m.Status,
                ReservedInstancesIds = m.ReservedInstancesIds.Select(id => new ReservedInstancesId { ReservedInstancesIdValue = id }).ToList(),
                ModificationResults = m.Results.Select(r => new ReservedInstancesModificationResult
                {
                    ReservedInstancesId = r.ReservedInstancesId,
                    TargetConfiguration = new ReservedInstancesConfiguration
                    {
                        AvailabilityZone = r.Target.AvailabilityZone,
                        AvailabilityZoneId = r.Target.AvailabilityZoneId,
                        InstanceCount = r.Target.InstanceCount,
                        InstanceType = r.Target.InstanceType,
                        Platform = r.Target.Platform ?? "EC2-VPC",
                        Scope = r.Target.Scope,
                    },
                }).ToList(),
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<GetReservedInstancesExchangeQuoteResult> GetReservedInstancesExchangeQuoteAsync(RequestContext context, GetReservedInstancesExchangeQuoteRequest request)
    {
        var quote = await Ri.ExchangeQuoteAsync(context.Store, context.Scope, request.ReservedInstanceIds,
            request.TargetConfigurations?.Select(t => (t.OfferingId, t.InstanceCount)).ToList(), context.Now, context.Cancellation).ConfigureAwait(false);
        static string Money(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);
        static string Hourly(decimal value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
        return new GetReservedInstancesExchangeQuoteResult
        {
            CurrencyCode = "USD",
            IsValidExchange = quote.IsValid,
            ValidationFailureReason = quote.FailureReason,
            OutputReservedInstancesWillExpireAt = quote.ExpiresAt,
            PaymentDue = Money(quote.PaymentDue),
            ReservedInstanceValueRollup = new ReservationValue
            {
                HourlyPrice = Hourly(quote.Sources.Sum(s => s.Hourly)),
                RemainingTotalValue = Money(quote.Sources.Sum(s => s.Total)),
                RemainingUpfrontValue = Money(quote.Sources.Sum(s => s.Upfront)),
            },
            ReservedInstanceValueSet = quote.Sources.Select(s => new ReservedInstanceReservationValue
            {
                ReservedInstanceId = s.Source.Id,
                ReservationValue = new ReservationValue { HourlyPrice = Hourly(s.Hourly), RemainingTotalValue = Money(s.Total), RemainingUpfrontValue = Money(s.Upfront) },
            }).ToList(),
            TargetConfigurationValueRollup = new ReservationValue
            {
                HourlyPrice = Hourly(quote.Targets.Sum(t => t.Hourly)),
                RemainingTotalValue = Money(quote.Targets.Sum(t => t.Total)),
                RemainingUpfrontValue = Money(quote.Targets.Sum(t => t.Upfront)),
            },
            TargetConfigurationValueSet = quote.Targets.Select(t => new TargetReservationValue
            {
                TargetConfiguration = new TargetConfiguration { OfferingId = t.Offering.Id, InstanceCount = t.Count },
                ReservationValue = new ReservationValue { HourlyPrice = Hourly(t.Hourly), RemainingTotalValue = Money(t.Total), RemainingUpfrontValue = Money(t.Upfront) },
            }).ToList(),
        };
    }

    public override async Task<AcceptReservedInstancesExchangeQuoteResult> AcceptReservedInstancesExchangeQuoteAsync(RequestContext context, AcceptReservedInstancesExchangeQuoteRequest request)
    {
        var quote = await Ri.ExchangeQuoteAsync(context.Transaction, context.Scope, request.ReservedInstanceIds,
            request.TargetConfigurations?.Select(t => (t.OfferingId, t.InstanceCount)).ToList(), context.Now, context.Cancellation).ConfigureAwait(false);
        return new AcceptReservedInstancesExchangeQuoteResult { ExchangeId = await Ri.AcceptExchangeAsync(context.Transaction, context.Scope, quote, context.Now, context.Cancellation).ConfigureAwait(false) };
    }
}
