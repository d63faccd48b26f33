using System.Runtime.InteropServices;
using Tmds.Linux;

namespace VduseAot.Interop;

// Ours because Tmds.LibC declares poll without SetLastError, so an EINTR could not be told from a
// stale errno; the struct and POLL* flags are Tmds.LibC's.
public static unsafe partial class Sys
{
    /// <summary>poll(2), with errno captured.</summary>
    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);
}
