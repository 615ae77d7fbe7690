using System.Buffers.Binary;
using System.IO.Compression;
using Stratus.Core;

namespace Stratus.Domain.Instances.Firmware;

/// <summary>
/// The non-volatile UEFI variable store of an instance, in the binary layout EC2 uses for
/// <c>UefiData</c> (RegisterImage, GetInstanceUefiData, the <c>uefiData</c> image attribute) and
/// that the python-uefivars tool reads as its <c>aws</c> format:
/// <c>"AMZNUEFI"</c>, a CRC-32 of everything after it, a 32-bit version (0), then a zlib stream of
/// a 64-bit entry count followed by the entries. The store is kept base64-encoded, as the API
/// carries it.
/// </summary>
public static class UefiVariableStore
{
    /// <summary>EC2's limit on the base64 text of <c>UefiData</c>.</summary>
    public const int MaxBase64Length = 64000;

    private static readonly byte[] Magic = "AMZNUEFI"u8.ToArray();

    /// <summary>An empty variable store (no variables yet), base64-encoded.</summary>
    /// <remarks>Encoded once: every UEFI instance of a launch starts from it, and compressing it again for each one was most of what building a launch's instances cost.</remarks>
    public static string Empty() => EmptyStore.Value;

    private static readonly Lazy<string> EmptyStore = new(() => Encode(new byte[8]));

    /// <summary>True for an instance that boots with UEFI: an image booting <c>uefi</c>, or <c>uefi-preferred</c> on a type that offers UEFI.</summary>
    public static bool BootsUefi(string? imageBootMode, IReadOnlyList<string> typeBootModes)
    {
        ArgumentNullException.ThrowIfNull(typeBootModes);
        return imageBootMode switch
        {
            "uefi" => true,
            "uefi-preferred" => typeBootModes.Contains("uefi"),
            _ => false,
        };
    }

    /// <summary>
    /// Checks <c>UefiData</c> of a RegisterImage request: base64 of at most 64,000 characters that
    /// holds a variable store as above; the same text back.
    /// </summary>
    public static string Validate(string uefiData)
    {
        ArgumentNullException.ThrowIfNull(uefiData);
        if (uefiData.Length > MaxBase64Length)
        {
            throw AwsErrors.InvalidParameterValue($"The UEFI data exceeds the maximum length of {MaxBase64Length} characters.");
        }
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(uefiData);
        }
        catch (FormatException)
        {
            throw AwsErrors.InvalidParameterValue("The UEFI data is not valid base64.");
        }
        if (!IsValid(blob))
        {
            throw AwsErrors.InvalidParameterValue("The UEFI data is not a valid UEFI variable store.");
        }
        return uefiData;
    }

    /// <summary>The number of variables in a store (base64); -1 when it is not a valid store.</summary>
    public static long CountVariables(string uefiData)
    {
        ArgumentNullException.ThrowIfNull(uefiData);
        var blob = Convert.FromBase64String(uefiData);
        if (!IsValid(blob))
        {
            return -1;
        }
        var payload = Inflate(blob.AsSpan(16).ToArray());
        return BinaryPrimitives.ReadInt64LittleEndian(payload);
    }

    private static bool IsValid(byte[] blob)
    {
        if (blob.Length < 16 || !blob.AsSpan(0, 8).SequenceEqual(Magic))
        {
            return false;
        }
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(8));
        if (crc != Crc32(blob.AsSpan(12)) || BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(12)) != 0)
        {
            return false;
        }
        try
        {
            var payload = Inflate(blob.AsSpan(16).ToArray());
            return payload.Length >= 8 && BinaryPrimitives.ReadInt64LittleEndian(payload) >= 0;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static string Encode(byte[] payload)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(payload);
        }
        var body = new byte[4 + compressed.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(body, 0);
        compressed.ToArray().CopyTo(body, 4);
        var blob = new byte[12 + body.Length];
        Magic.CopyTo(blob, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), Crc32(body));
        body.CopyTo(blob, 12);
        return Convert.ToBase64String(blob);
    }

    private static byte[] Inflate(byte[] compressed)
    {
        using var input = new MemoryStream(compressed);
        using var zlib = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>CRC-32 (IEEE 802.3, as zlib computes it).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
