using System;
using VduseAot.Interop;

namespace VduseAot.Network.Nbd;

/// <summary>
/// Makes the NBD connections of the queue threads (see <see cref="Connector"/>), each one negotiated
/// and checked against the export the device was created for.
/// </summary>
internal sealed class NbdConnector : Connector
{
    private const int ConnectTimeoutMs = 5000;

    private readonly NbdUri _uri;
    private readonly NbdExport _expected;

    public NbdConnector(NbdUri uri, NbdExport expected, Action<string> log)
        : base("nbd-connect", log)
    {
        _uri = uri;
        _expected = expected;
        Start();
    }

    /// <inheritdoc />
    protected override string Peer => _uri.Endpoint.ToString();

    /// <summary>
    /// Connects and negotiates once (start-up, and each attempt of this thread). Throws
    /// <see cref="NetworkException"/> with the server's words.
    /// </summary>
    public static (OwnedFd Socket, NbdExport Export) Open(NbdUri uri, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(uri);
        OwnedFd fd = SocketConnect.Connect(uri.Endpoint, timeoutMs);
        try
        {
            NbdExport export = NbdHandshake.Negotiate(new BlockingSocket(fd.Value, uri.Endpoint.ToString()), uri.Export, uri.Endpoint.ToString());
            SocketConnect.SetTimeouts(fd.Value, 0);
            return (fd, export);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override OwnedFd Connect(ConnectionDial dial)
    {
        (OwnedFd socket, NbdExport export) = Open(_uri, ConnectTimeoutMs);
        dial.Changed = _expected.Difference(export);
        return socket;
    }
}
