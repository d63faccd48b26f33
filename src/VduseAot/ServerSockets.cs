using System;
using System.Net.Sockets;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>What the admin and metrics servers' accept threads share: accepting until stopped, and waking on stop.</summary>
internal static class ServerSockets
{
    /// <summary>
    /// The next connection on <paramref name="listener"/>, or null once the listener is gone: quietly
    /// when <paramref name="stopping"/> says the server is being stopped (that is how its thread is
    /// woken), with an error line for device <paramref name="device"/> naming <paramref name="what"/> otherwise.
    /// </summary>
    public static Socket? Accept(Socket listener, Func<bool> stopping, string device, string what)
    {
        try
        {
            return listener.Accept();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!stopping())
            {
                Log.Write(LogLevel.Error, device, what + " stopped: " + e.Message);
            }

            return null;
        }
    }

    /// <summary>Closes a server's <paramref name="listener"/>, first waking the thread blocked in accept() on it.</summary>
    public static void CloseListener(Socket listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        Shutdown(listener);
        listener.Dispose();
    }

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
