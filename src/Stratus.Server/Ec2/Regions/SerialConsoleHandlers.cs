using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Access to the EC2 serial console, an account setting per region: off until
/// EnableSerialConsoleAccess, off again after DisableSerialConsoleAccess; GetSerialConsoleAccessStatus
/// reads it (managed by the account, as no declarative policy applies here).
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>Account settings of a region, one document per setting.</summary>
    internal static readonly ResourceType AccountSetting = new("account-setting", "setting", "InvalidParameterValue", "InvalidParameterValue", "{0}");

    internal sealed class SerialConsoleSetting
    {
        public bool Enabled { get; set; }
    }

    private const string SerialConsoleSettingId = "serial-console-access";

    public override async Task<GetSerialConsoleAccessStatusResult> GetSerialConsoleAccessStatusAsync(RequestContext context, GetSerialConsoleAccessStatusRequest request)
    {
        var setting = await context.Store.GetAsync<SerialConsoleSetting>(context.Scope, AccountSetting, SerialConsoleSettingId, context.Cancellation).ConfigureAwait(false);
        return new GetSerialConsoleAccessStatusResult { SerialConsoleAccessEnabled = setting?.Enabled ?? false, ManagedBy = "account" };
    }

    public override async Task<EnableSerialConsoleAccessResult> EnableSerialConsoleAccessAsync(RequestContext context, EnableSerialConsoleAccessRequest request)
    {
        await SetSerialConsoleAsync(context, true).ConfigureAwait(false);
        return new EnableSerialConsoleAccessResult { SerialConsoleAccessEnabled = true };
    }

    public override async Task<DisableSerialConsoleAccessResult> DisableSerialConsoleAccessAsync(RequestContext context, DisableSerialConsoleAccessRequest request)
    {
        await SetSerialConsoleAsync(context, false).ConfigureAwait(false);
        return new DisableSerialConsoleAccessResult { SerialConsoleAccessEnabled = false };
    }

    private static Task SetSerialConsoleAsync(RequestContext context, bool enabled) =>
        context.Transaction.PutAsync(context.Scope, AccountSetting, SerialConsoleSettingId, new SerialConsoleSetting { Enabled = enabled }, context.Now, context.Cancellation);
}
