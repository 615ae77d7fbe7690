using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Stratus.Domain.KeyPairs;

/// <summary>
/// Ed25519 key generation. .NET 10's System.Security.Cryptography has no Ed25519, so the public
/// key is derived from a random 32-byte seed by the system's OpenSSL libcrypto (1.1.1 or later),
/// the library .NET's own cryptography uses on Linux: no curve arithmetic of our own and no extra
/// package.
/// </summary>
internal static class Ed25519
{
    public const int KeySize = 32;
    private const string LibCrypto = "stratus-libcrypto";
    private const int NidEd25519 = 1087;

    private static readonly string[] Candidates =
        ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so", "libcrypto.3.dylib", "libcrypto.1.1.dylib", "libcrypto.dylib", "libcrypto-3-x64.dll"];

    private static readonly Lazy<bool> ResolverInstalled = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(Ed25519).Assembly, Resolve);
        return true;
    });

    /// <summary>A new key: its 32-byte private seed and 32-byte public key.</summary>
    public static (byte[] Seed, byte[] PublicKey) Generate()
    {
        var seed = RandomNumberGenerator.GetBytes(KeySize);
        return (seed, PublicKeyOf(seed));
    }

    /// <summary>The public key (RFC 8032 §5.1.5) of a 32-byte private seed.</summary>
    public static byte[] PublicKeyOf(byte[] seed)
    {
        _ = ResolverInstalled.Value;
        IntPtr key;
        try
        {
            key = NativeMethods.EVP_PKEY_new_raw_private_key(NidEd25519, IntPtr.Zero, seed, (nuint)seed.Length);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("Ed25519 keys need OpenSSL's libcrypto (1.1.1 or later), which was not found.", e);
        }
        if (key == IntPtr.Zero)
        {
            throw new CryptographicException("OpenSSL refused the Ed25519 private key");
        }
        try
        {
            var publicKey = new byte[KeySize];
            var length = (nuint)publicKey.Length;
            if (NativeMethods.EVP_PKEY_get_raw_public_key(key, publicKey, ref length) != 1 || length != KeySize)
            {
                throw new CryptographicException("OpenSSL could not derive the Ed25519 public key");
            }
            return publicKey;
        }
        finally
        {
            NativeMethods.EVP_PKEY_free(key);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibCrypto)
        {
            return IntPtr.Zero;
        }
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }
        return IntPtr.Zero;
    }

    private static class NativeMethods
    {
        [DllImport(LibCrypto, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr EVP_PKEY_new_raw_private_key(int type, IntPtr engine, byte[] key, nuint keyLength);

        [DllImport(LibCrypto, CallingConvention = CallingConvention.Cdecl)]
        public static extern int EVP_PKEY_get_raw_public_key(IntPtr key, byte[] publicKey, ref nuint length);

        [DllImport(LibCrypto, CallingConvention = CallingConvention.Cdecl)]
        public static extern void EVP_PKEY_free(IntPtr key);
    }
}
