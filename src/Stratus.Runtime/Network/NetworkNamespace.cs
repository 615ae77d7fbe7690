using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Stratus.Runtime.Network;

/// <summary>
/// Sockets inside a network namespace (a VPC's), for services the server runs there itself: a
/// socket belongs to the namespace of the thread that created it, so a thread of its own enters
/// the namespace, creates the socket and ends; the socket is used from anywhere after that.
/// </summary>
public static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;
    private const int SolIp = 0, IpFreebind = 15;

    /// <summary>
    /// The namespace's identity (<c>net:[4026532…]</c>), which changes when a namespace of the same
    /// name is made again; null when <paramref name="path"/> names none.
    /// </summary>
    public static string? Identity(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// A TCP socket of the namespace at <paramref name="path"/>, bound to <paramref name="endpoint"/>
    /// (with address reuse, and free binding so an address still being configured is no error); the caller listens.
    /// </summary>
    public static Socket BindTcp(string path, IPEndPoint endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(endpoint);
        Socket? socket = null;
        Exception? error = null;
        var opener = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
                {
                    if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new IOException($"entering network namespace {path} failed (errno {Marshal.GetLastPInvokeError()})");
                    }
                }
                var created = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    created.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    created.SetRawSocketOption(SolIp, IpFreebind, BitConverter.GetBytes(1));
                    created.Bind(endpoint);
                }
                catch
                {
                    created.Dispose();
                    throw;
                }
                socket = created;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SocketException)
            {
                error = e;
            }
        })
        { IsBackground = true, Name = "netns-bind " + endpoint };
        opener.Start();
        opener.Join();
        if (error is SocketException socketError)
        {
            throw socketError;
        }
        if (error is not null || socket is null)
        {
            throw new IOException($"opening a socket on {endpoint} in {path} failed: {error?.Message}", error);
        }
        return socket;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int type);
}
