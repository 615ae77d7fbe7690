using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Stratus.Server.WebConsole;

namespace Stratus.Server.Tests.WebConsole;

/// <summary>The console's files as the server ships them, and which <c>GET /</c> goes to the console.</summary>
public sealed partial class ConsoleEndpointsTests(LiveServer server) : IClassFixture<LiveServer>
{
    private static HttpRequest Get(string? accept, string query = "", string? authorization = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Path = "/";
        http.Request.QueryString = new QueryString(query);
        if (accept is not null)
        {
            http.Request.Headers.Accept = accept;
        }
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }
        return http.Request;
    }

    [Fact]
    public void OnlyAnUnsignedBrowserVisitIsABrowserVisit()
    {
        const string browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        Assert.True(ConsoleEndpoints.IsBrowserVisit(Get(browser)));
        Assert.False(ConsoleEndpoints.IsBrowserVisit(Get(null)));
        Assert.False(ConsoleEndpoints.IsBrowserVisit(Get("*/*")));
        Assert.False(ConsoleEndpoints.IsBrowserVisit(Get(browser, "?Action=DescribeRegions&Version=2016-11-15")));
        Assert.False(ConsoleEndpoints.IsBrowserVisit(Get(browser, "?X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fec2%2Faws4_request")));
        Assert.False(ConsoleEndpoints.IsBrowserVisit(Get(browser, authorization: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request")));
    }

    [Fact]
    public async Task ThePageAndEveryFileItLoadsAreServed()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Endpoint };
        var index = await http.GetAsync(new Uri("console/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Contains("frame-ancestors 'none'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await index.Content.ReadAsStringAsync();
        var files = ReferencedFile().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("app.js", files);
        Assert.Contains("app.css", files);
        foreach (var file in files)
        {
            var response = await http.GetAsync(new Uri("console/" + file, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{file}: {response.StatusCode}");
            Assert.NotEqual("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        }
        var script = await http.GetAsync(new Uri("console/app.js", UriKind.Relative));
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("from './aws.js'", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri("console/app.js", UriKind.Relative));
        again.Headers.TryAddWithoutValidation("If-None-Match", script.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("console/..%2Fstratus.db", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("console/missing.js", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task ABrowserOpeningTheEndpointIsSentToTheConsole()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Endpoint };
        using var visit = new HttpRequestMessage(HttpMethod.Get, new Uri("/", UriKind.Relative));
        visit.Headers.TryAddWithoutValidation("Accept", "text/html,*/*;q=0.8");
        var redirect = await http.SendAsync(visit);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/console/", redirect.Headers.Location?.OriginalString);
        var bare = await http.GetAsync(new Uri("console", UriKind.Relative));
        Assert.Equal("/console/", bare.Headers.Location?.OriginalString);
        // An API client's unsigned GET / is still the gateway's refusal.
        var api = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains("MissingAuthenticationToken", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// What the Content Security Policy would block or an offline host could not load: no file
    /// refers to another origin (no CDN), and the HTML has no inline script, style or handler.
    /// </summary>
    [Theory]
    [InlineData("index.html")]
    [InlineData("app.js")]
    [InlineData("aws.js")]
    [InlineData("app.css")]
    public async Task TheFilesLoadNothingFromElsewhereAndNothingInline(string file)
    {
        using var http = new HttpClient { BaseAddress = server.Endpoint };
        var body = await http.GetStringAsync(new Uri("console/" + file, UriKind.Relative));
        Assert.DoesNotMatch(ExternalReference(), body);
        Assert.DoesNotContain("@import", body, StringComparison.Ordinal);
        if (file == "index.html")
        {
            Assert.DoesNotMatch(InlineCode(), body);
        }
        if (file == "app.js")
        {
            Assert.DoesNotMatch(InlineCode(), body);
            Assert.DoesNotContain("eval(", body, StringComparison.Ordinal);
        }
    }

    /// <summary>The dialogs the pages open are in the page, each named by its heading.</summary>
    [Fact]
    public async Task TheDialogsAreLabelled()
    {
        using var http = new HttpClient { BaseAddress = server.Endpoint };
        var html = await http.GetStringAsync(new Uri("console/", UriKind.Relative));
        Assert.Contains("""<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">""", html, StringComparison.Ordinal);
        Assert.Contains("""<dialog id="form-dialog" aria-labelledby="form-dialog-title">""", html, StringComparison.Ordinal);
        Assert.Contains("""<h2 id="form-dialog-title">""", html, StringComparison.Ordinal);
        Assert.Contains("""<div id="form-dialog-error" role="alert">""", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|import\s[^;]*from\s*["'](?:https?:)?//""")]
    private static partial Regex ExternalReference();

    [GeneratedRegex("""<script(?![^>]*\bsrc=)[^>]*>|\sstyle\s*=\s*["']|\son[a-z]+\s*=\s*["']""")]
    private static partial Regex InlineCode();

    [GeneratedRegex("""(?:href|src)="([a-z0-9._-]+)"(?!:)""")]
    private static partial Regex ReferencedFile();
}
