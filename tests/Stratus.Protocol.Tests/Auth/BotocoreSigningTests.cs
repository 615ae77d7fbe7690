using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Stratus.Protocol.Auth;
using Xunit;
using static Stratus.Protocol.Tests.Auth.SigV4TestSupport;

namespace Stratus.Protocol.Tests.Auth;

/// <summary>
/// Runs Auth/botocore_sign.py once: botocore (the signer behind boto3 and the AWS CLI) signs a set of requests
/// with its own <c>SigV4Auth</c> and <c>SigV4QueryAuth</c>, and the tests verify what it produced. A machine
/// without python3 or botocore fails these tests (they never skip): set STRATUS_PYTHON to a python that has it.
/// </summary>
public sealed class BotocoreFixture
{
    public const string AccessKey = "AKIDSTRATUSBOTO";
    public const string Secret = "boto/Secret+Key/EXAMPLE0123456789abcdef";
    public const string SessionToken = "FQoGZXIvYXdzEXAMPLE//token+with/slashes==";

    private readonly Dictionary<string, JsonElement> _cases = new(StringComparer.Ordinal);

    public BotocoreFixture()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Auth", "botocore_sign.py");
        var attempts = new StringBuilder();
        foreach (var python in PythonCandidates())
        {
            var (exitCode, stdout, stderr) = Run(python, script);
            if (exitCode == 0)
            {
                using var document = JsonDocument.Parse(stdout);
                BotocoreVersion = document.RootElement.GetProperty("botocore").GetString();
                foreach (var property in document.RootElement.GetProperty("cases").EnumerateObject())
                {
                    _cases[property.Name] = property.Value.Clone();
                }

                return;
            }

            attempts.Append("\n  ").Append(python).Append(": ").Append(exitCode is null ? stderr : $"exit {exitCode}: {stderr.Trim()}");
        }

        Error = "botocore signing needs python3 with botocore installed (pip install botocore); "
            + "set STRATUS_PYTHON to choose the interpreter. Tried:" + attempts;
    }

    public string? Error { get; }

    public string? BotocoreVersion { get; }

    /// <summary>The named signed request, or a test failure saying why botocore could not produce it.</summary>
    public BotocoreCase Case(string name)
    {
        if (Error is not null)
        {
            Assert.Fail(Error);
        }

        Assert.True(_cases.TryGetValue(name, out var element), $"botocore_sign.py produced no case '{name}'");
        var headers = element.GetProperty("headers").EnumerateArray()
            .Select(pair => H(pair[0].GetString()!, pair[1].GetString()!))
            .ToList();
        var request = Request(
            element.GetProperty("method").GetString()!,
            element.GetProperty("url").GetString()!,
            headers,
            element.GetProperty("body").GetString());
        return new BotocoreCase(request, ParseIsoBasic(element.GetProperty("timestamp").GetString()!));
    }

    private static IEnumerable<string> PythonCandidates()
    {
        var configured = Environment.GetEnvironmentVariable("STRATUS_PYTHON");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            yield return configured;
        }

        yield return "python3";
        var home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(home))
        {
            yield return Path.Combine(home, ".pyenv", "shims", "python3");
        }
    }

    private static (int? ExitCode, string Stdout, string Stderr) Run(string python, string script)
    {
        var info = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        try
        {
            using var process = Process.Start(info)!;
            var stderrTask = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, stdout, "timed out after 60 s");
            }

            return (process.ExitCode, stdout, stderrTask.GetAwaiter().GetResult());
        }
        catch (Win32Exception ex)
        {
            return (null, string.Empty, "could not start: " + ex.Message);
        }
    }
}

/// <summary>A request botocore signed, and the time it signed it at.</summary>
public sealed record BotocoreCase(SigV4Request Request, DateTimeOffset SignedAt);

public sealed class BotocoreSigningTests(BotocoreFixture botocore) : IClassFixture<BotocoreFixture>
{
    private static readonly Func<string, string?> Secrets = SigV4TestSupport.Secrets(BotocoreFixture.AccessKey, BotocoreFixture.Secret);

    private static readonly SigV4Verifier Verifier = new(new SigV4Options
    {
        AllowedRegions = UsEast1,
        AllowedServices = new HashSet<string>(StringComparer.Ordinal) { "ec2", "service" },
    });

    [Theory]
    [InlineData("ec2-post", "ec2")]
    [InlineData("ec2-post-date-header", "ec2")]
    [InlineData("ec2-get-query", "ec2")]
    [InlineData("presigned-get", "ec2")]
    [InlineData("path-normalised", "service")]
    public void Botocore_signed_request_verifies(string name, string service)
    {
        var signed = botocore.Case(name);

        var identity = Verifier.Verify(signed.Request, Secrets, signed.SignedAt.AddSeconds(5));

        Assert.Equal(new SigV4Identity(BotocoreFixture.AccessKey, "us-east-1", service, signed.SignedAt, null), identity);
    }

    [Theory]
    [InlineData("ec2-post-session-token")]
    [InlineData("presigned-get-session-token")]
    public void Session_token_is_passed_through(string name)
    {
        var signed = botocore.Case(name);

        var identity = Verifier.Verify(signed.Request, Secrets, signed.SignedAt);

        Assert.Equal(BotocoreFixture.SessionToken, identity.SessionToken);
    }

    [Fact]
    public void Ec2_post_is_what_the_cli_sends()
    {
        var signed = botocore.Case("ec2-post");

        Assert.Equal("POST", signed.Request.Method);
        Assert.Equal("/", signed.Request.Path);
        Assert.Equal("Action=DescribeRegions&Version=2016-11-15", Encoding.UTF8.GetString(signed.Request.Body.Span));
        Assert.DoesNotContain(signed.Request.Headers, h => h.Key.Equals("x-amz-content-sha256", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Tampered_body_is_rejected()
    {
        var signed = botocore.Case("ec2-post");
        var tampered = signed.Request.WithBody("Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1");

        AssertRejected(() => Verifier.Verify(tampered, Secrets, signed.SignedAt), "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Tampered_query_parameter_is_rejected()
    {
        var signed = botocore.Case("ec2-get-query");
        var tampered = signed.Request with
        {
            RawQueryString = signed.Request.RawQueryString.Replace("DescribeInstances", "TerminateInstances", StringComparison.Ordinal),
        };

        AssertRejected(() => Verifier.Verify(tampered, Secrets, signed.SignedAt), "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Presigned_url_is_valid_until_it_expires()
    {
        var signed = botocore.Case("presigned-get");

        // X-Amz-Expires=300: still good well past the 15-minute skew window's start, refused one second after expiry.
        Verifier.Verify(signed.Request, Secrets, signed.SignedAt.AddSeconds(300));
        var ex = AssertRejected(
            () => Verifier.Verify(signed.Request, Secrets, signed.SignedAt.AddSeconds(301)), "RequestExpired", 400);
        Assert.Equal("Request has expired.", ex.Message);
    }

    [Fact]
    public void Presigned_url_cannot_carry_a_body()
    {
        // The presigned signature covers the empty body only: a POST of form parameters with the same URL fails.
        var signed = botocore.Case("presigned-get");
        var withBody = signed.Request.WithBody("Action=TerminateInstances");

        AssertRejected(() => Verifier.Verify(withBody, Secrets, signed.SignedAt), "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Presigned_url_reencoded_by_another_client_still_verifies()
    {
        // Clients and proxies differ in how they escape: '~' as %7E, '*' bare, space as '+', lowercase hex digits.
        var signed = botocore.Case("presigned-get");
        var query = signed.Request.RawQueryString;
        Assert.Contains("us%20east%2B1%2A~", query, StringComparison.Ordinal);
        var reencoded = query
            .Replace("us%20east%2B1%2A~", "us+east%2b1*%7E", StringComparison.Ordinal)
            .Replace("%2F", "%2f", StringComparison.Ordinal);

        Verifier.Verify(signed.Request with { RawQueryString = reencoded }, Secrets, signed.SignedAt);
    }

    [Fact]
    public void Presigned_url_with_the_signature_parameter_moved_still_verifies()
    {
        // X-Amz-Signature is left out of the canonical query wherever it appears.
        var signed = botocore.Case("presigned-get");
        var parts = signed.Request.RawQueryString.Split('&');
        var signature = parts.Single(p => p.StartsWith("X-Amz-Signature=", StringComparison.Ordinal));
        var moved = string.Join('&', parts.Where(p => p != signature).Prepend(signature));

        Verifier.Verify(signed.Request with { RawQueryString = moved }, Secrets, signed.SignedAt);
    }

    [Fact]
    public void Wrong_secret_is_rejected()
    {
        var signed = botocore.Case("ec2-post");

        AssertRejected(
            () => Verifier.Verify(signed.Request, _ => "not-the-secret", signed.SignedAt),
            "SignatureDoesNotMatch",
            403);
    }

    [Fact]
    public void Botocore_version_is_reported()
    {
        botocore.Case("ec2-post");
        Assert.False(string.IsNullOrEmpty(botocore.BotocoreVersion));
    }
}
