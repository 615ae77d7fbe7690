using Stratus.Core;
using Stratus.Domain.Compute;
using Stratus.Domain.Filtering;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Credit options of burstable performance instances, per instance and as the account's default per family.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeInstanceCreditSpecifications")]
    private static readonly FilterSet<InstanceResource> CreditSpecificationFilters = new FilterSet<InstanceResource>()
        .Add("instance-id", i => i.Id);

    public override async Task<DescribeInstanceCreditSpecificationsResult> DescribeInstanceCreditSpecificationsAsync(RequestContext context, DescribeInstanceCreditSpecificationsRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.InstanceIds, request.MaxResults, "InstanceId");
        IEnumerable<InstanceResource> instances = request.InstanceIds is { Count: > 0 } ids
            ? await InstanceRecords.RequireAsync(context.Store, context.Scope, ids, context.Cancellation).ConfigureAwait(false)
            : await context.Store.ListAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, context.Cancellation).ConfigureAwait(false);
        // Only burstable performance instances that are not terminated have a credit option.
        var selected = CreditSpecificationFilters.Apply(instances.Where(i => CreditSpecifications.IsBurstable(i) && i.State != InstanceStates.Terminated), ToCriteria(request.Filters));
        var page = Paginator.Paginate(selected.OrderBy(i => i.Id, StringComparer.Ordinal), i => i.Id, request.MaxResults, request.NextToken);
        return new DescribeInstanceCreditSpecificationsResult
        {
            InstanceCreditSpecifications = page.Items.Select(i => new InstanceCreditSpecification { InstanceId = i.Id, CpuCredits = i.CpuCredits }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<ModifyInstanceCreditSpecificationResult> ModifyInstanceCreditSpecificationAsync(RequestContext context, ModifyInstanceCreditSpecificationRequest request)
    {
        if (request.InstanceCreditSpecifications is not { Count: > 0 } specs)
        {
            throw AwsErrors.MissingParameter("InstanceCreditSpecification");
        }
        var result = new ModifyInstanceCreditSpecificationResult { SuccessfulInstanceCreditSpecifications = [], UnsuccessfulInstanceCreditSpecifications = [] };
        foreach (var spec in specs)
        {
            AwsException? error;
            var id = spec.InstanceId ?? throw AwsErrors.MissingParameter("InstanceCreditSpecification.N.InstanceId");
            try
            {
                var instance = (await InstanceRecords.RequireAsync(context.Transaction, context.Scope, [id], context.Cancellation).ConfigureAwait(false))[0];
                error = CreditSpecifications.Modify(instance, spec.CpuCredits);
                if (error is null)
                {
                    await InstanceRecords.PutAsync(context.Transaction, context.Scope, instance, context.Now, context.Cancellation).ConfigureAwait(false);
                }
            }
            catch (AwsException e)
            {
                error = e;
            }
            if (error is null)
            {
                result.SuccessfulInstanceCreditSpecifications.Add(new SuccessfulInstanceCreditSpecificationItem { InstanceId = id });
            }
            else
            {
                result.UnsuccessfulInstanceCreditSpecifications.Add(new UnsuccessfulInstanceCreditSpecificationItem
                {
                    InstanceId = id,
                    Error = new UnsuccessfulInstanceCreditSpecificationItemError { Code = error.Code, Message = error.Message },
                });
            }
        }
        return result;
    }

    public override async Task<GetDefaultCreditSpecificationResult> GetDefaultCreditSpecificationAsync(RequestContext context, GetDefaultCreditSpecificationRequest request)
    {
        var credits = await CreditSpecifications.DefaultAsync(context.Store, context.Scope, request.InstanceFamily!, context.Cancellation).ConfigureAwait(false);
        return new GetDefaultCreditSpecificationResult { InstanceFamilyCreditSpecification = new InstanceFamilyCreditSpecification { InstanceFamily = request.InstanceFamily, CpuCredits = credits } };
    }

    public override async Task<ModifyDefaultCreditSpecificationResult> ModifyDefaultCreditSpecificationAsync(RequestContext context, ModifyDefaultCreditSpecificationRequest request)
    {
        var credits = await CreditSpecifications.SetDefaultAsync(context.Transaction, context.Scope, request.InstanceFamily, request.CpuCredits, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyDefaultCreditSpecificationResult { InstanceFamilyCreditSpecification = new InstanceFamilyCreditSpecification { InstanceFamily = request.InstanceFamily, CpuCredits = credits } };
    }
}
