using System.Collections.Frozen;

namespace Stratus.Protocol.Auth;

/// <summary>
/// The parts of an HTTP request that a Signature Version 4 check reads, as they arrived on the wire.
/// </summary>
/// <param name="Method">The HTTP method, e.g. <c>POST</c>.</param>
/// <param name="Path">
/// The path of the request target as it was sent, still percent-encoded (ASP.NET Core's
/// <c>IHttpRequestFeature.RawTarget</c> up to the <c>?</c>). An empty path is treated as <c>/</c>.
/// </param>
/// <param name="RawQueryString">The query string without the leading <c>?</c>, as received (percent-encoded).</param>
/// <param name="Headers">Every header as received: the name in any case, and one entry per header line.</param>
/// <param name="Body">The request body; empty when there is none.</param>
public sealed record SigV4Request(
    string Method,
    string Path,
    string RawQueryString,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    ReadOnlyMemory<byte> Body);

/// <summary>Who signed a request that verified, and for which scope.</summary>
/// <param name="AccessKeyId">The access key id named in the credential scope.</param>
/// <param name="Region">The region named in the credential scope.</param>
/// <param name="Service">The service named in the credential scope, e.g. <c>ec2</c>.</param>
/// <param name="SignedAt">The request timestamp (<c>X-Amz-Date</c> or <c>Date</c>), in UTC.</param>
/// <param name="SessionToken">
/// The <c>X-Amz-Security-Token</c> sent with the request, if any. The verifier does not check it;
/// a caller that issues temporary credentials must.
/// </param>
public sealed record SigV4Identity(
    string AccessKeyId,
    string Region,
    string Service,
    DateTimeOffset SignedAt,
    string? SessionToken);

/// <summary>What a <see cref="SigV4Verifier"/> accepts.</summary>
public sealed record SigV4Options
{
    private static readonly FrozenSet<string> Ec2Only = FrozenSet.ToFrozenSet(["ec2"], StringComparer.Ordinal);

    /// <summary>How far the request timestamp may be from the server clock, either way. AWS allows 15 minutes.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Regions a credential scope may name; <see langword="null"/> accepts any non-empty region.</summary>
    public IReadOnlySet<string>? AllowedRegions { get; init; }

    /// <summary>Services a credential scope may name. Defaults to <c>ec2</c> only.</summary>
    public IReadOnlySet<string> AllowedServices { get; init; } = Ec2Only;

    /// <summary>The longest <c>X-Amz-Expires</c> a presigned URL may ask for. AWS allows seven days.</summary>
    public TimeSpan MaxPresignedExpiry { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Canonicalise the path as S3 does (each segment encoded once, no dot-segment removal) rather than
    /// as every other service does (dot segments removed, the received path encoded a second time).
    /// </summary>
    public bool S3PathRules { get; init; }

    /// <summary>
    /// Accept the <c>UNSIGNED-PAYLOAD</c> payload hash for a request that has a body. It is always accepted
    /// for a request without a body (presigned GETs). Off by default: an EC2 body carries the whole action.
    /// </summary>
    public bool AllowUnsignedPayload { get; init; }

    /// <summary>How many derived signing keys (one per secret, day, region and service) are kept.</summary>
    public int SigningKeyCacheSize { get; init; } = 1024;
}
