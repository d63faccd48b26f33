using System;
using System.Buffers;
using System.IO;
using System.Net.Sockets;

namespace VduseAot;

/// <summary>Newline-delimited framing of the admin socket: both ends read requests and replies with it.</summary>
public sealed class LineReader(Socket socket, int maxLineBytes)
{
    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly byte[] _chunk = new byte[4096];

    /// <summary>
    /// The next line without its newline, or null when the peer closed the connection first. Throws
    /// <see cref="InvalidDataException"/> for a line longer than the limit, <see cref="SocketException"/>
    /// on a timeout or a reset.
    /// </summary>
    public byte[]? ReadLine()
    {
        while (true)
        {
            int newline = _pending.WrittenSpan.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                byte[] line = _pending.WrittenSpan.Slice(0, newline).ToArray();
                byte[] rest = _pending.WrittenSpan.Slice(newline + 1).ToArray();
                _pending.Clear();
                _pending.Write(rest);
                return line;
            }

            if (_pending.WrittenCount > maxLineBytes)
            {
                throw new InvalidDataException("line longer than " + maxLineBytes + " bytes");
            }

            int n = socket.Receive(_chunk);
            if (n == 0)
            {
                return null;
            }

            _pending.Write(_chunk.AsSpan(0, n));
        }
    }

    /// <summary>Sends <paramref name="line"/> and a newline.</summary>
    public static void Send(Socket socket, ReadOnlySpan<byte> line)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.Send(Frame(line));
    }

    /// <summary><paramref name="line"/> and its newline, for a sender that cannot use <see cref="Send"/> (one with descriptors attached).</summary>
    public static byte[] Frame(ReadOnlySpan<byte> line)
    {
        byte[] framed = new byte[line.Length + 1];
        line.CopyTo(framed);
        framed[^1] = (byte)'\n';
        return framed;
    }
}
