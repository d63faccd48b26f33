using System;
using System.IO;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// Where control sockets live: DIR/NAME.sock in the state directory (default /run/vduse-blk), the
/// directory owner-only (0700) when we create it, the socket owner-only (0600): whoever can connect
/// can stop or resize the disk.
/// </summary>
public static class ControlPaths
{
    /// <summary>The default --state-dir.</summary>
    public const string DefaultStateDir = "/run/vduse-blk";

    /// <summary>File name suffix of control sockets.</summary>
    public const string SocketSuffix = ".sock";

    /// <summary>Longest path a Unix socket address holds (sun_path is 108 bytes with its NUL).</summary>
    public const int MaxSocketPath = 107;

    /// <summary>DIR/NAME.sock.</summary>
    public static string SocketPath(string stateDir, string name) => Path.Combine(stateDir, name + SocketSuffix);

    /// <summary>The one-line error when no daemon serves <paramref name="name"/>.</summary>
    public static string NoDevice(string name, string socketPath) =>
        "no device " + name + ": " + socketPath + " does not exist (is vduse-blk serve running? --state-dir?)";

    /// <summary>Returns <paramref name="stateDir"/> if it is an absolute path; throws <see cref="UsageException"/> otherwise.</summary>
    public static string CheckStateDir(string stateDir)
    {
        if (string.IsNullOrEmpty(stateDir) || stateDir[0] != '/')
        {
            throw new UsageException("--state-dir '" + stateDir + "' must be an absolute path");
        }

        return stateDir;
    }

    /// <summary>Creates <paramref name="stateDir"/> with mode 0700 if it is missing.</summary>
    public static void EnsureStateDir(string stateDir)
    {
        if (Directory.Exists(stateDir))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(stateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VduseException("cannot create the state directory " + stateDir + ": " + e.Message + " (pass --state-dir DIR)", e);
        }
    }

    /// <summary>Checks that the socket path fits a Unix socket address.</summary>
    public static void CheckLength(string socketPath)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPath)
        {
            throw new VduseException("control socket path " + socketPath + " is longer than " + MaxSocketPath
                + " bytes (a Unix socket limit): use a shorter --state-dir or name");
        }
    }
}
