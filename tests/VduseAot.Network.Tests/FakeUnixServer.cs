using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;

namespace VduseAot.Network.Tests;

/// <summary>
/// The listening half of the fake servers: a unix socket accepted on a thread of its own, each
/// connection served by <c>serve</c> (with its 1-based number) on a thread of its own, every socket
/// closed and the path removed at Dispose.
/// </summary>
internal sealed class FakeUnixServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Thread _thread;
    private readonly List<Socket> _clients = new();
    private readonly Action<Socket, int> _serve;
    private readonly string _name;
    private int _connections;
    private volatile bool _stop;

    public FakeUnixServer(string path, string name, Action<Socket, int> serve)
    {
        SocketPath = path;
        _serve = serve;
        _name = name;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(16);
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public string SocketPath { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private void AcceptLoop()
    {
        while (!_stop)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_clients)
            {
                _clients.Add(client);
            }

            int number = Interlocked.Increment(ref _connections);
            new Thread(() => _serve(client, number)) { IsBackground = true, Name = _name + "-conn" }.Start();
        }
    }

    public void Dispose()
    {
        _stop = true;
        _listener.Dispose();
        lock (_clients)
        {
            foreach (Socket c in _clients)
            {
                c.Dispose();
            }
        }

        _thread.Join();
        File.Delete(SocketPath);
    }
}
