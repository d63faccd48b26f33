using System;
using System.IO;

namespace VduseAot.Vduse;

/// <summary>The state directory: state files, RAM images and control sockets, readable by the owner only.</summary>
public static class StateDirectory
{
    /// <summary>Creates <paramref name="path"/> (mode 0700) when missing.</summary>
    public static void Ensure(string path)
    {
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VduseException("cannot create the state directory " + path + ": " + e.Message + " (choose another with --state-dir)", e);
        }
    }
}
