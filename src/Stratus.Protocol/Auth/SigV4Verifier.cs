using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stratus.Core;

namespace Stratus.Protocol.Auth;

/// <summary>
/// Verifies AWS Signature Version 4 on incoming requests, in both forms: the <c>Authorization</c> header and
/// presigned query parameters (<c>X-Amz-Algorithm</c>, <c>X-Amz-Credential</c>, ...). Failures are thrown as
/// <see cref="AwsException"/> with the code, message and status AWS answers with; the checks run in the order
/// AWS runs them, so the first problem reported is the one AWS would report. Thread-safe.
/// </summary>
public sealed class SigV4Verifier
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private const string Terminator = "aws4_request";
    private const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    private const string IsoBasicFormat = "yyyyMMdd'T'HHmmss'Z'";
    private const int TimestampLength = 16;
    private const int SignatureBytes = 32;

    private static readonly string[] HttpDateFormats =
    [
        "ddd, d MMM yyyy HH':'mm':'ss 'GMT'",
        "ddd, d MMM yyyy HH':'mm':'ss 'UTC'",
        "ddd, d MMM yyyy HH':'mm':'ss zzz",
    ];

    [ThreadStatic]
    private static StringBuilder? t_builder;

    private readonly SigV4Options _options;
    private readonly SigningKeyCache _keys;

    public SigV4Verifier(SigV4Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.AllowedServices);
        _options = options;
        _keys = new SigningKeyCache(options.SigningKeyCacheSize);
    }

    /// <summary>The options this verifier was built with.</summary>
    public SigV4Options Options => _options;

    /// <summary>Number of derived signing keys currently cached (for diagnostics and tests).</summary>
    internal int CachedSigningKeys => _keys.Count;

    /// <summary>
    /// Checks the signature of <paramref name="request"/> and returns who signed it.
    /// </summary>
    /// <param name="request">The request as received.</param>
    /// <param name="findSecret">Looks up the secret access key of an access key id; <see langword="null"/> when unknown.</param>
    /// <param name="now">The server's current time.</param>
    /// <exception cref="AwsException">
    /// <c>MissingAuthenticationToken</c>, <c>IncompleteSignature</c>, <c>SignatureDoesNotMatch</c>,
    /// <c>RequestExpired</c> or <c>AuthFailure</c>, as AWS answers.
    /// </exception>
    public SigV4Identity Verify(SigV4Request request, Func<string, string?> findSecret, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(findSecret);

        var query = SigV4Canonical.ParseQuery(request.RawQueryString ?? string.Empty);
        var auth = ReadAuthParameters(request, query);

        var signedHeaders = ParseSignedHeaders(auth.SignedHeaders);
        if (Array.IndexOf(signedHeaders, "host") < 0)
        {
            throw AwsErrors.SignatureDoesNotMatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        }

        var signedAt = ParseTimestamp(auth.Timestamp, auth.TimestampIsHttpDate);
        CheckTime(signedAt, auth.Expires, now);

        var scope = ParseCredential(auth.Credential);
        CheckScope(scope, signedAt);

        var secret = findSecret(scope.AccessKeyId) ?? throw AwsErrors.AuthFailure();

        Span<byte> provided = stackalloc byte[SignatureBytes];
        var wellFormed = TryParseSignature(auth.Signature, provided);
        var signingKey = _keys.Get(secret, scope.Date, scope.Region, scope.Service);

        if (!wellFormed || !Matches(request, query, auth, signedHeaders, signedAt, scope, signingKey, provided))
        {
            throw AwsErrors.SignatureDoesNotMatch();
        }

        return new SigV4Identity(scope.AccessKeyId, scope.Region, scope.Service, signedAt, auth.SessionToken);
    }

    private bool Matches(
        SigV4Request request,
        List<KeyValuePair<string, string>> query,
        in AuthParameters auth,
        string[] signedHeaders,
        DateTimeOffset signedAt,
        in CredentialScope scope,
        byte[] signingKey,
        ReadOnlySpan<byte> provided)
    {
        var sb = t_builder ??= new StringBuilder(1024);
        sb.Clear();
        try
        {
            sb.Append(request.Method).Append('\n');
            SigV4Canonical.AppendPath(sb, request.Path ?? string.Empty, _options.S3PathRules);
            sb.Append('\n');
            SigV4Canonical.AppendQuery(sb, query, auth.IsPresigned ? "X-Amz-Signature" : null);
            sb.Append('\n');
            foreach (var name in signedHeaders)
            {
                sb.Append(name).Append(':');
                var first = true;
                foreach (var header in request.Headers)
                {
                    if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        if (!first)
                        {
                            sb.Append(',');
                        }

                        first = false;
                        SigV4Canonical.AppendHeaderValue(sb, header.Value ?? string.Empty);
                    }
                }

                sb.Append('\n');
            }

            sb.Append('\n');
            sb.AppendJoin(';', signedHeaders).Append('\n');
            var prefixLength = sb.Length;

            // The payload hash: the hash of the body that arrived, whatever x-amz-content-sha256 claims (a
            // claim that disagrees with the body then fails here). UNSIGNED-PAYLOAD is tried too where it is
            // acceptable: presigned URLs (S3-style signers use it) and clients that send it as their hash.
            Span<byte> bodyHash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(request.Body.Span, bodyHash);
            Span<char> bodyHex = stackalloc char[SHA256.HashSizeInBytes * 2];
            Convert.TryToHexStringLower(bodyHash, bodyHex, out _);

            var claimed = FindFirstHeader(request.Headers, "x-amz-content-sha256");
            var unsignedAcceptable = (request.Body.IsEmpty || _options.AllowUnsignedPayload)
                && (auth.IsPresigned || string.Equals(claimed, UnsignedPayload, StringComparison.Ordinal));
            var unsignedFirst = unsignedAcceptable && string.Equals(claimed, UnsignedPayload, StringComparison.Ordinal);

            for (var attempt = 0; attempt < (unsignedAcceptable ? 2 : 1); attempt++)
            {
                sb.Length = prefixLength;
                if ((attempt == 0) != unsignedFirst)
                {
                    sb.Append(bodyHex);
                }
                else
                {
                    sb.Append(UnsignedPayload);
                }

                if (SignatureMatches(sb, signedAt, scope, signingKey, provided))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            if (sb.Capacity > 16 * 1024)
            {
                t_builder = null;
            }
        }
    }

    private static bool SignatureMatches(
        StringBuilder canonicalRequest,
        DateTimeOffset signedAt,
        in CredentialScope scope,
        byte[] signingKey,
        ReadOnlySpan<byte> provided)
    {
        // Hash the canonical request.
        Span<byte> canonicalHash = stackalloc byte[SHA256.HashSizeInBytes];
        var chars = ArrayPool<char>.Shared.Rent(canonicalRequest.Length);
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(canonicalRequest.Length));
        try
        {
            canonicalRequest.CopyTo(0, chars, 0, canonicalRequest.Length);
            var byteCount = Encoding.UTF8.GetBytes(chars, 0, canonicalRequest.Length, bytes, 0);
            SHA256.HashData(bytes.AsSpan(0, byteCount), canonicalHash);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }

        // String to sign: algorithm, timestamp, scope and the hex hash of the canonical request, one per line.
        var scopeByteCount = Encoding.UTF8.GetByteCount(scope.Scope);
        var length = Algorithm.Length + 1 + TimestampLength + 1 + scopeByteCount + 1 + (SHA256.HashSizeInBytes * 2);
        byte[]? rented = null;
        var stringToSign = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            var at = Encoding.ASCII.GetBytes(Algorithm, stringToSign);
            stringToSign[at++] = (byte)'\n';
            Span<char> timestamp = stackalloc char[TimestampLength];
            signedAt.UtcDateTime.TryFormat(timestamp, out _, IsoBasicFormat, CultureInfo.InvariantCulture);
            at += Encoding.ASCII.GetBytes(timestamp, stringToSign[at..]);
            stringToSign[at++] = (byte)'\n';
            at += Encoding.UTF8.GetBytes(scope.Scope, stringToSign[at..]);
            stringToSign[at++] = (byte)'\n';
            Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
            Convert.TryToHexStringLower(canonicalHash, hex, out _);
            Encoding.ASCII.GetBytes(hex, stringToSign[at..]);

            Span<byte> expected = stackalloc byte[SignatureBytes];
            HMACSHA256.HashData(signingKey, stringToSign, expected);
            return CryptographicOperations.FixedTimeEquals(expected, provided);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static AuthParameters ReadAuthParameters(SigV4Request request, List<KeyValuePair<string, string>> query)
    {
        var authorization = FindFirstHeader(request.Headers, "Authorization");
        var algorithm = FindQueryValue(query, "X-Amz-Algorithm");

        if (authorization is not null && algorithm is not null)
        {
            throw AwsErrors.SignatureDoesNotMatch(
                "Only one authentication mechanism may be used: send the Authorization header or the X-Amz-Algorithm query parameter, not both.");
        }

        if (authorization is not null)
        {
            return FromAuthorizationHeader(authorization, request.Headers);
        }

        if (algorithm is not null)
        {
            return FromQuery(algorithm, query, request.Headers);
        }

        throw AwsErrors.MissingAuthenticationToken();
    }

    private static AuthParameters FromAuthorizationHeader(string authorization, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var header = authorization.Trim();
        var schemeEnd = header.AsSpan().IndexOfAny(' ', '\t');
        var scheme = schemeEnd < 0 ? header : header[..schemeEnd];
        var isSigV4 = string.Equals(scheme, Algorithm, StringComparison.Ordinal);
        if (!isSigV4 && scheme.StartsWith("AWS4-", StringComparison.Ordinal))
        {
            throw AwsErrors.IncompleteSignature($"Unsupported AWS 'algorithm': '{scheme}'.");
        }

        string? credential = null, signedHeaders = null, signature = null;
        if (isSigV4 && schemeEnd >= 0)
        {
            foreach (var range in header.AsSpan(schemeEnd + 1).Split(','))
            {
                var part = header.AsSpan(schemeEnd + 1)[range].Trim();
                if (part.IsEmpty)
                {
                    continue;
                }

                var eq = part.IndexOf('=');
                if (eq < 0)
                {
                    throw AwsErrors.IncompleteSignature(
                        $"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'.");
                }

                var name = part[..eq].Trim();
                var value = part[(eq + 1)..].Trim().ToString();
                if (name.SequenceEqual("Credential"))
                {
                    credential = value;
                }
                else if (name.SequenceEqual("SignedHeaders"))
                {
                    signedHeaders = value;
                }
                else if (name.SequenceEqual("Signature"))
                {
                    signature = value;
                }
            }
        }

        var (timestamp, isHttpDate) = FindTimestampHeader(headers);
        if (credential is null || signedHeaders is null || signature is null || timestamp is null)
        {
            // AWS lists every missing piece, then echoes the header it could not use.
            var message = new StringBuilder();
            AppendIf(message, credential is null, "Authorization header requires 'Credential' parameter.");
            AppendIf(message, signature is null, "Authorization header requires 'Signature' parameter.");
            AppendIf(message, signedHeaders is null, "Authorization header requires 'SignedHeaders' parameter.");
            AppendIf(message, timestamp is null, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
            message.Append(" Authorization=").Append(header);
            throw AwsErrors.IncompleteSignature(message.ToString());
        }

        return new AuthParameters(
            credential,
            signedHeaders,
            signature,
            timestamp,
            isHttpDate,
            FindFirstHeader(headers, "x-amz-security-token"),
            Expires: null,
            IsPresigned: false);
    }

    private static AuthParameters FromQuery(
        string algorithm,
        List<KeyValuePair<string, string>> query,
        IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (!string.Equals(algorithm, Algorithm, StringComparison.Ordinal))
        {
            throw AwsErrors.IncompleteSignature($"Unsupported AWS 'algorithm': '{algorithm}'.");
        }

        var credential = FindQueryValue(query, "X-Amz-Credential");
        var signature = FindQueryValue(query, "X-Amz-Signature");
        var signedHeaders = FindQueryValue(query, "X-Amz-SignedHeaders");
        var timestamp = FindQueryValue(query, "X-Amz-Date");
        if (credential is null || signature is null || signedHeaders is null || timestamp is null)
        {
            var message = new StringBuilder();
            AppendIf(message, credential is null, "AWS query-string parameters must include 'X-Amz-Credential'.");
            AppendIf(message, signature is null, "AWS query-string parameters must include 'X-Amz-Signature'.");
            AppendIf(message, signedHeaders is null, "AWS query-string parameters must include 'X-Amz-SignedHeaders'.");
            AppendIf(message, timestamp is null, "AWS query-string parameters must include 'X-Amz-Date'.");
            message.Append(" Re-examine the query-string parameters.");
            throw AwsErrors.IncompleteSignature(message.ToString());
        }

        return new AuthParameters(
            credential,
            signedHeaders,
            signature,
            timestamp,
            TimestampIsHttpDate: false,
            FindQueryValue(query, "X-Amz-Security-Token") ?? FindFirstHeader(headers, "x-amz-security-token"),
            FindQueryValue(query, "X-Amz-Expires"),
            IsPresigned: true);
    }

    private static void AppendIf(StringBuilder message, bool condition, string text)
    {
        if (condition)
        {
            if (message.Length > 0)
            {
                message.Append(' ');
            }

            message.Append(text);
        }
    }

    private static string[] ParseSignedHeaders(string signedHeaders)
    {
        var names = signedHeaders.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < names.Length; i++)
        {
#pragma warning disable CA1308 // SigV4 canonical header names are lowercase by definition.
            names[i] = names[i].ToLowerInvariant();
#pragma warning restore CA1308
        }

        Array.Sort(names, StringComparer.Ordinal);

        // Drop duplicates in place (the list is sorted, so they are adjacent).
        var count = 0;
        for (var i = 0; i < names.Length; i++)
        {
            if (count == 0 || !string.Equals(names[count - 1], names[i], StringComparison.Ordinal))
            {
                names[count++] = names[i];
            }
        }

        return count == names.Length ? names : names[..count];
    }

    private static DateTimeOffset ParseTimestamp(string value, bool isHttpDate)
    {
        var trimmed = value.Trim();
        if (DateTimeOffset.TryParseExact(
                trimmed,
                IsoBasicFormat,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var parsed))
        {
            return parsed;
        }

        // The Date header carries an RFC 1123 / RFC 2822 date: "Sun, 30 Aug 2015 12:36:00 GMT", or with a
        // numeric zone ("-0000") as botocore writes it.
        if (isHttpDate && DateTimeOffset.TryParseExact(
                trimmed,
                HttpDateFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out parsed))
        {
            return parsed;
        }

        throw AwsErrors.IncompleteSignature(
            $"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601");
    }

    private void CheckTime(DateTimeOffset signedAt, string? expires, DateTimeOffset now)
    {
        var skew = _options.MaxClockSkew;
        if (signedAt > now + skew)
        {
            throw AwsErrors.RequestExpired(
                $"Signature not yet current: {Format(signedAt)} is still later than {Format(now + skew)} ({Format(now)} + {FormatSpan(skew)}).");
        }

        if (expires is null)
        {
            if (signedAt < now - skew)
            {
                throw AwsErrors.RequestExpired("Request has expired.");
            }

            return;
        }

        var maxSeconds = (long)_options.MaxPresignedExpiry.TotalSeconds;
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            throw AwsErrors.IncompleteSignature($"X-Amz-Expires must be a non-negative whole number of seconds. Got '{expires}'.");
        }

        if (seconds > maxSeconds)
        {
            throw AwsErrors.IncompleteSignature(
                $"X-Amz-Expires must be less than a week (in seconds) that is {maxSeconds.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (now > signedAt.AddSeconds(seconds))
        {
            throw AwsErrors.RequestExpired("Request has expired.");
        }
    }

    private static CredentialScope ParseCredential(string credential)
    {
        // keyid/date/region/service/aws4_request
        var span = credential.AsSpan();
        Span<Range> parts = stackalloc Range[6];
        if (span.Split(parts, '/') != 5)
        {
            throw AwsErrors.IncompleteSignature(
                $"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'.");
        }

        return new CredentialScope(
            span[parts[0]].ToString(),
            span[parts[1]].ToString(),
            span[parts[2]].ToString(),
            span[parts[3]].ToString(),
            span[parts[4]].ToString(),
            credential[parts[1].Start.Value..]);
    }

    private void CheckScope(in CredentialScope scope, DateTimeOffset signedAt)
    {
        StringBuilder? errors = null;

        if (scope.Region.Length == 0 || (_options.AllowedRegions is { } regions && !regions.Contains(scope.Region)))
        {
            Add(ref errors, $"Credential should be scoped to a valid region, not '{scope.Region}'.");
        }

        if (!_options.AllowedServices.Contains(scope.Service))
        {
            var expected = string.Join("' or '", _options.AllowedServices.Order(StringComparer.Ordinal));
            Add(ref errors, $"Credential should be scoped to correct service: '{expected}'.");
        }

        if (!string.Equals(scope.Terminator, Terminator, StringComparison.Ordinal))
        {
            Add(ref errors, $"Credential should be scoped with a valid terminator: '{Terminator}', not '{scope.Terminator}'.");
        }

        var date = signedAt.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        if (!string.Equals(scope.Date, date, StringComparison.Ordinal))
        {
            Add(ref errors,
                $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope.Date}' != '{date}', from '{Format(signedAt)}'.");
        }

        if (errors is not null)
        {
            throw AwsErrors.SignatureDoesNotMatch(errors.ToString());
        }

        static void Add(ref StringBuilder? errors, string message)
        {
            errors ??= new StringBuilder();
            if (errors.Length > 0)
            {
                errors.Append(' ');
            }

            errors.Append(message);
        }
    }

    private static bool TryParseSignature(string signature, Span<byte> destination)
    {
        if (signature.Length != SignatureBytes * 2)
        {
            return false;
        }

        return Convert.FromHexString(signature, destination, out _, out var written) == OperationStatus.Done
            && written == SignatureBytes;
    }

    private static (string? Value, bool IsHttpDate) FindTimestampHeader(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var amzDate = FindFirstHeader(headers, "X-Amz-Date");
        if (amzDate is not null)
        {
            return (amzDate, false);
        }

        var date = FindFirstHeader(headers, "Date");
        return (date, date is not null);
    }

    private static string? FindFirstHeader(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return headers[i].Value ?? string.Empty;
            }
        }

        return null;
    }

    /// <summary>The decoded value of the first parameter named <paramref name="name"/> (an unreserved-only name).</summary>
    private static string? FindQueryValue(List<KeyValuePair<string, string>> query, string name)
    {
        foreach (var (key, value) in query)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return SigV4Canonical.Decode(value);
            }
        }

        return null;
    }

    private static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString(IsoBasicFormat, CultureInfo.InvariantCulture);

    private static string FormatSpan(TimeSpan span) =>
        span.Ticks % TimeSpan.TicksPerMinute == 0
            ? $"{((long)span.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min."
            : $"{((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture)} sec.";

    private readonly record struct AuthParameters(
        string Credential,
        string SignedHeaders,
        string Signature,
        string Timestamp,
        bool TimestampIsHttpDate,
        string? SessionToken,
        string? Expires,
        bool IsPresigned);

    /// <summary>A parsed credential: the access key id and the four scope elements, and the scope as one string.</summary>
    private readonly record struct CredentialScope(
        string AccessKeyId,
        string Date,
        string Region,
        string Service,
        string Terminator,
        string Scope);
}
