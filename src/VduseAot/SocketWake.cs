using System.Net.Sockets;

namespace VduseAot;

/// <summary>Waking the thread blocked on a socket of a server that is being stopped.</summary>
internal static class SocketWake
{
    /// <summary>
    /// Shuts <paramref name="socket"/> down both ways, which wakes a thread blocked in accept() or
    /// recv() on it; a socket that is already shut or closed has nobody left to wake.
    /// </summary>
    public static void Shutdown(Socket? socket)
    {
        try
        {
            socket?.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (System.ObjectDisposedException)
        {
        }
    }
}
