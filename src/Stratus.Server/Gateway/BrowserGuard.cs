using System.Net;
using Microsoft.AspNetCore.Http;
using Stratus.Core;

namespace Stratus.Server.Gateway;

/// <summary>
/// With signatures off (<c>--no-auth</c>) any request acts as the first account, so a web page
/// the user visits could drive the API from the browser (a cross-site form post, or DNS
/// rebinding a name of the attacker's to 127.0.0.1). Such requests are refused: anything a
/// browser marks as coming from a page (<c>Origin</c>, <c>Sec-Fetch-Site</c> other than
/// <c>none</c>), and any <c>Host</c> that is not an IP address, <c>localhost</c>, or a host named
/// in <c>--urls</c>. AWS SDKs and the CLI send none of these headers. Signed requests need a
/// secret key a page does not have, so they are not checked.
/// </summary>
internal static class BrowserGuard
{
    public static void Check(HttpRequest request, ServerOptions options)
    {
        if (options.RequireSignatures)
        {
            return;
        }
        var headers = request.Headers;
        if (headers.Origin.Count > 0)
        {
            throw Refused("it carries an Origin header (sent by web browsers)");
        }
        if (headers.TryGetValue("Sec-Fetch-Site", out var site) && site.ToString() != "none")
        {
            throw Refused("it comes from a web page (Sec-Fetch-Site)");
        }
        var host = request.Host.Host;
        if (!IsAllowedHost(host, options))
        {
            throw Refused($"its Host '{host}' is not an address or a name of this server (DNS rebinding protection)");
        }
    }

    internal static bool IsAllowedHost(string host, ServerOptions options)
    {
        if (host.Length == 0)
        {
            return true;
        }
        var bare = host.Trim('[', ']');
        if (IPAddress.TryParse(bare, out _))
        {
            return true;
        }
        if (bare.Equals("localhost", StringComparison.OrdinalIgnoreCase) || bare.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        foreach (var url in options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Equals(bare, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return options.AllowedHosts.Contains(bare, StringComparer.OrdinalIgnoreCase);
    }

    private static AwsException Refused(string why) =>
        new("AccessDenied", $"Stratus runs without signature checks (--no-auth) and refuses this request because {why}.", 403);
}
