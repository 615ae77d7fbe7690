using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Stratus.Runtime.Network;

/// <summary>
/// One end of a GRE tunnel (RFC 2784, IPv4 in IPv4, no key, checksum or sequence numbers sent)
/// kept in user space, so that it works on kernels without <c>ip_gre</c>: a TUN device in a
/// network namespace is the tunnel's interface, and a raw IPv4 socket for protocol 47 bound to
/// the local address (opened with libc: .NET's <c>Socket</c> refuses protocol numbers it does not
/// know) carries the encapsulated packets. Packets read from the device go to the
/// remote end with a GRE header; GRE packets from the remote end lose their outer headers and
/// are written to the device. The device lives as long as this object (the TUN device is not
/// persistent): disposing it, or the process ending, removes the interface.
/// </summary>
internal sealed partial class GreTunnel : IDisposable
{
    private const int GreProtocol = 47;
    private const ushort EtherTypeIpv4 = 0x0800;
    private const int CloneNewNet = 0x40000000;
    private const nuint TunSetInterface = 0x400454ca;
    private const short IffTun = 0x0001;
    private const short IffNoPi = 0x1000;
    private const short PollIn = 0x0001;

    private const int AddressFamilyInet = 2;
    private const int SocketRaw = 3;

    private readonly int _tun;
    private readonly int _socket;
    private readonly byte[] _remote;
    private readonly Thread _outbound;
    private readonly Thread _inbound;
    private volatile bool _stopped;

    private GreTunnel(string device, int tun, int socket, IPAddress local, IPAddress remote)
    {
        Device = device;
        Local = local.ToString();
        Remote = remote.ToString();
        _tun = tun;
        _socket = socket;
        _remote = remote.GetAddressBytes();
        _outbound = new Thread(Encapsulate) { IsBackground = true, Name = "gre-out " + device };
        _inbound = new Thread(Decapsulate) { IsBackground = true, Name = "gre-in " + device };
        _outbound.Start();
        _inbound.Start();
    }

    /// <summary>The tunnel's interface in its namespace.</summary>
    public string Device { get; }

    public string Local { get; }

    public string Remote { get; }

    /// <summary>
    /// Creates the TUN device <paramref name="device"/> and the raw socket inside the namespace
    /// <paramref name="ns"/> (from a thread of its own that enters the namespace and ends), then
    /// starts forwarding. The device is left down and without addresses for the caller to set up.
    /// </summary>
    public static GreTunnel Open(string ns, string device, string local, string remote)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        if (Encoding.ASCII.GetByteCount(device) >= 16)
        {
            throw new ArgumentException($"interface name {device} is too long", nameof(device));
        }
        var localAddress = IPAddress.Parse(local);
        var remoteAddress = IPAddress.Parse(remote);
        int tun = -1;
        int socket = -1;
        Exception? error = null;
        var opener = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle(LinuxHostNetwork.NamespacePath(ns), FileMode.Open, FileAccess.Read))
                {
                    if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new IOException($"entering network namespace {ns} failed (errno {Marshal.GetLastPInvokeError()})");
                    }
                }
                tun = OpenTun(device);
                socket = OpenSocket(AddressFamilyInet, SocketRaw, GreProtocol);
                var address = SocketAddress(localAddress.GetAddressBytes());
                if (socket < 0 || Bind(socket, ref address[0], address.Length) != 0)
                {
                    throw new IOException($"raw GRE socket on {localAddress} failed (errno {Marshal.GetLastPInvokeError()})");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = e;
            }
        })
        { IsBackground = true, Name = "gre-open " + device };
        opener.Start();
        opener.Join();
        if (error is not null)
        {
            if (tun >= 0)
            {
                _ = Close(tun);
            }
            if (socket >= 0)
            {
                _ = Close(socket);
            }
            throw new IOException($"GRE tunnel {device} in {ns}: {error.Message}", error);
        }
        return new GreTunnel(device, tun, socket, localAddress, remoteAddress);
    }

    /// <summary>A <c>struct sockaddr_in</c> for <paramref name="address"/>, port 0.</summary>
    private static byte[] SocketAddress(byte[] address)
    {
        var sockaddr = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, AddressFamilyInet);
        address.CopyTo(sockaddr, 4);
        return sockaddr;
    }

    private static int OpenTun(string device)
    {
        var fd = OpenFile("/dev/net/tun", 2 /* O_RDWR */);
        if (fd < 0)
        {
            throw new IOException($"opening /dev/net/tun failed (errno {Marshal.GetLastPInvokeError()})");
        }
        var request = new byte[40];
        Encoding.ASCII.GetBytes(device, request);
        BinaryPrimitives.WriteInt16LittleEndian(request.AsSpan(16), IffTun | IffNoPi);
        if (Ioctl(fd, TunSetInterface, ref request[0]) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Close(fd);
            throw new IOException($"creating TUN device {device} failed (errno {errno})");
        }
        return fd;
    }

    /// <summary>Device → remote end: each IPv4 packet behind a four-byte GRE header.</summary>
    private void Encapsulate()
    {
        var buffer = new byte[65536];
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(0), 0);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), EtherTypeIpv4);
        var remote = SocketAddress(_remote);
        while (!_stopped)
        {
            var poll = new PollFd { Fd = _tun, Events = PollIn };
            if (Poll(ref poll, 1, 500) <= 0 || (poll.Revents & PollIn) == 0)
            {
                continue;
            }
            var n = (int)Read(_tun, ref buffer[4], buffer.Length - 4);
            if (n <= 0 || (buffer[4] >> 4) != 4)
            {
                continue;
            }
            // Without a route (yet) to the remote end the packet is lost, as on a wire.
            _ = SendTo(_socket, ref buffer[0], n + 4, 0, ref remote[0], remote.Length);
        }
    }

    /// <summary>Remote end → device: GRE (version 0) packets carrying IPv4 from the remote address, without their outer headers.</summary>
    private void Decapsulate()
    {
        var buffer = new byte[65536];
        while (!_stopped)
        {
            var poll = new PollFd { Fd = _socket, Events = PollIn };
            if (Poll(ref poll, 1, 500) <= 0 || (poll.Revents & PollIn) == 0)
            {
                continue;
            }
            var n = (int)Receive(_socket, ref buffer[0], buffer.Length, 0);
            if (n < 20 || !buffer.AsSpan(12, 4).SequenceEqual(_remote))
            {
                continue;
            }
            var offset = (buffer[0] & 0x0f) * 4;
            if (n < offset + 4)
            {
                continue;
            }
            var flags = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(offset));
            if ((flags & 0x4007) != 0 || BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(offset + 2)) != EtherTypeIpv4)
            {
                continue; // routing present, a version other than 0, or not IPv4 inside
            }
            offset += 4 + ((flags & 0x8000) != 0 ? 4 : 0) + ((flags & 0x2000) != 0 ? 4 : 0) + ((flags & 0x1000) != 0 ? 4 : 0);
            if (n > offset)
            {
                _ = Write(_tun, ref buffer[offset], n - offset);
            }
        }
    }

    public void Dispose()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        _outbound.Join(2000);
        _inbound.Join(2000);
        _ = Close(_socket);
        _ = Close(_tun);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int type);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, ref byte argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int OpenSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, ref byte address, int length);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static partial nint SendTo(int fd, ref byte buffer, nint length, int flags, ref byte address, int addressLength);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Receive(int fd, ref byte buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
