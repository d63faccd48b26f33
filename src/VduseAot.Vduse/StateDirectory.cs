using System;
using System.IO;
using System.Text;

namespace VduseAot.Vduse;

/// <summary>
/// The state directory (--state-dir, default /run/vduse-blk) and every path in it: DIR/NAME.state (the
/// reconnect journal), DIR/NAME.ram (a RAM disk's bytes) and DIR/NAME.sock (the admin socket). The
/// directory is owner-only (0700) when we create it: whoever can connect to a socket can stop or
/// resize its disk.
/// </summary>
public sealed class StateDirectory(string path)
{
    /// <summary>The default --state-dir.</summary>
    public const string DefaultPath = "/run/vduse-blk";

    /// <summary>File name suffix of admin sockets.</summary>
    public const string SocketSuffix = ".sock";

    /// <summary>Longest path a Unix socket address holds (sun_path is 108 bytes with its NUL).</summary>
    public const int MaxSocketPath = 107;

    private const string StateSuffix = ".state";
    private const string RamImageSuffix = ".ram";

    private bool _created;

    /// <summary>The directory.</summary>
    public string Path { get; } = path;

    /// <summary>DIR/NAME.state: what a successor needs to take device <paramref name="name"/> over.</summary>
    public string StateFilePath(string name) => In(name, StateSuffix);

    /// <summary>DIR/NAME.ram: the bytes of RAM disk <paramref name="name"/>.</summary>
    public string RamImagePath(string name) => In(name, RamImageSuffix);

    /// <summary>DIR/NAME.sock: the admin socket of device <paramref name="name"/>.</summary>
    public string SocketPath(string name) => In(name, SocketSuffix);

    /// <summary>The names of the devices with a socket here, in ordinal order (none when the directory is missing).</summary>
    public string[] SocketNames()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }

        string[] sockets = Directory.GetFiles(Path, "*" + SocketSuffix);
        for (int i = 0; i < sockets.Length; i++)
        {
            string file = System.IO.Path.GetFileName(sockets[i]);
            sockets[i] = file.Substring(0, file.Length - SocketSuffix.Length);
        }

        Array.Sort(sockets, StringComparer.Ordinal);
        return sockets;
    }

    /// <summary>Checks that <paramref name="socketPath"/> fits a Unix socket address.</summary>
    public static void CheckSocketPathLength(string socketPath)
    {
        if (Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPath)
        {
            throw new VduseException("control socket path " + socketPath + " is longer than " + MaxSocketPath
                + " bytes (a Unix socket limit): use a shorter --state-dir or name");
        }
    }

    /// <summary>Creates the directory (mode 0700) when missing; after the first call, does nothing.</summary>
    public void Create()
    {
        if (_created)
        {
            return;
        }

        try
        {
            // The guard only satisfies the platform analyzer: this library is not marked Linux-only.
            if (!OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VduseException("cannot create the state directory " + Path + ": " + e.Message + " (choose another with --state-dir)", e);
        }

        _created = true;
    }

    private string In(string name, string suffix) => System.IO.Path.Combine(Path, name + suffix);
}
