using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Protocol.Auth;

/// <summary>
/// Derived SigV4 signing keys (<c>kSigning</c>), one per secret, day, region and service. A key is good for a
/// whole UTC day, so nearly every request after the first of the day is a hit. The cache is bounded: when it
/// is full it is emptied and refilled, which costs one derivation per live key.
/// </summary>
internal sealed class SigningKeyCache(int capacity)
{
    private readonly ConcurrentDictionary<Entry, byte[]> _keys = new();
    private readonly int _capacity = Math.Max(1, capacity);

    public int Count => _keys.Count;

    public byte[] Get(string secret, string date, string region, string service)
    {
        var entry = new Entry(secret, date, region, service);
        if (_keys.TryGetValue(entry, out var key))
        {
            return key;
        }

        key = Derive(secret, date, region, service);
        if (_keys.Count >= _capacity)
        {
            _keys.Clear();
        }

        _keys[entry] = key;
        return key;
    }

    /// <summary>kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").</summary>
    public static byte[] Derive(string secret, string date, string region, string service)
    {
        var secretBytes = Encoding.UTF8.GetBytes("AWS4" + secret);
        try
        {
            Span<byte> current = stackalloc byte[HMACSHA256.HashSizeInBytes];
            Step(secretBytes, date, current);
            Step(current, region, current);
            Step(current, service, current);
            Step(current, "aws4_request", current);
            return current.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretBytes);
        }
    }

    private static void Step(ReadOnlySpan<byte> key, string data, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetByteCount(data);
        Span<byte> bytes = length <= 256 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(data, bytes);
        Span<byte> result = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, bytes, result);
        result.CopyTo(destination);
    }

    private readonly record struct Entry(string Secret, string Date, string Region, string Service);
}
