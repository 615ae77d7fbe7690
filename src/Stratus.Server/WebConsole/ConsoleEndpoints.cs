using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Stratus.Server.WebConsole;

/// <summary>
/// The web console: static files embedded in this assembly (<c>WebConsole/wwwroot</c>), served
/// under <c>/console/</c>. The page signs its own AWS API calls (SigV4 in the browser) and sends
/// them to the gateway like any other client; nothing here reads or changes state. A browser's
/// unsigned <c>GET /</c> is redirected to the console; API clients' <c>GET /</c> is untouched.
/// See docs/console.md.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string BasePath = "/console/";

    private const string ResourcePrefix = "console/";

    /// <summary>Only this origin's scripts, styles and API calls; never framed (clickjacking).</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

    private static readonly FrozenDictionary<string, Asset> Assets = LoadAssets();

    /// <summary>
    /// <c>STRATUS_CONSOLE_DIR</c>: serve the console's files from this directory instead of the
    /// assembly, read on every request (for working on the console without rebuilding).
    /// </summary>
    private static readonly string? SourceDirectory = Environment.GetEnvironmentVariable("STRATUS_CONSOLE_DIR") is { Length: > 0 } dir ? dir : null;

    /// <summary>Maps <c>/console/</c> and its files (<c>/console</c> redirects to <c>/console/</c>: the page's links are relative).</summary>
    public static void MapConsole(this WebApplication app) => app.MapMethods("/console/{**file}", ["GET", "HEAD"], ServeAsync);

    /// <summary>
    /// A person opening the endpoint in a browser: <c>GET /</c> with no query string (an API
    /// call names its Action there), no signature, and a browser's <c>Accept: text/html</c>.
    /// SDKs and the CLI never ask for HTML.
    /// </summary>
    public static bool IsBrowserVisit(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && !request.QueryString.HasValue
        && request.Headers.Authorization.Count == 0
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static async Task ServeAsync(HttpContext http, string? file)
    {
        if (string.IsNullOrEmpty(file) && !(http.Request.Path.Value ?? "").EndsWith('/'))
        {
            http.Response.Redirect(BasePath);
            return;
        }
        var name = string.IsNullOrEmpty(file) ? "index.html" : file;
        var response = http.Response;
        if (!TryFind(name, out var asset))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync($"The console has no file '{name}'.\n", http.RequestAborted).ConfigureAwait(false);
            return;
        }
        var headers = response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (asset.ContentType.StartsWith("text/html", StringComparison.Ordinal))
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
        }
        if (http.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await response.Body.WriteAsync(asset.Content, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private static bool TryFind(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Asset? asset)
    {
        if (SourceDirectory is null)
        {
            return Assets.TryGetValue(name, out asset);
        }
        asset = null;
        if (!Assets.ContainsKey(name))
        {
            return false; // only the files the build embeds: no path of the request reaches the file system
        }
        var path = Path.Combine(SourceDirectory, name);
        if (!File.Exists(path))
        {
            return false;
        }
        var content = File.ReadAllBytes(path);
        asset = new Asset(content, ContentTypeOf(name), ETagOf(content));
        return true;
    }

    private static string ETagOf(byte[] content) => "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..16] + "\"";

    private static FrozenDictionary<string, Asset> LoadAssets()
    {
        var assembly = typeof(ConsoleEndpoints).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var name = resource[ResourcePrefix.Length..].Replace('\\', '/');
            var content = Read(assembly, resource);
            assets[name] = new Asset(content, ContentTypeOf(name), ETagOf(content));
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded console file {resource} is missing.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
