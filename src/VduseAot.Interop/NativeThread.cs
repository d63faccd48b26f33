using System;
using System.Runtime.InteropServices;

namespace VduseAot.Interop;

/// <summary>
/// Threads started with pthread_create, detached, running managed code (the runtime attaches such a
/// thread on its first call in). Unlike <c>Thread.Start</c>, which returns only once the new thread
/// has run and reported back, the caller goes on at once: in TCG, with the guest's I/O keeping every
/// vCPU busy, that wait took ~10 ms per thread on the takeover path the guest waits for.
/// </summary>
public static unsafe partial class NativeThread
{
    private const string Libc = "libc";
    private const int PTHREAD_CREATE_DETACHED = 1;

    /// <summary>
    /// Runs <paramref name="body"/> on a new detached thread with a stack of <paramref name="stackBytes"/>;
    /// returns 0, or the errno of a thread that could not be made. An exception escaping the body
    /// ends the process, as on any thread: the body catches what it can handle.
    /// </summary>
    public static int Start(Action body, int stackBytes)
    {
        ArgumentNullException.ThrowIfNull(body);
        PthreadAttr attr;
        int rc = pthread_attr_init(&attr);
        if (rc != 0)
        {
            return rc;
        }

        GCHandle handle = GCHandle.Alloc(body);
        try
        {
            rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (rc == 0 && stackBytes > 0)
            {
                rc = pthread_attr_setstacksize(&attr, (nuint)stackBytes);
            }

            ulong thread;
            if (rc == 0)
            {
                rc = pthread_create(&thread, &attr, &Entry, GCHandle.ToIntPtr(handle));
            }
        }
        finally
        {
            _ = pthread_attr_destroy(&attr);
            if (rc != 0)
            {
                handle.Free();
            }
        }

        return rc;
    }

    [UnmanagedCallersOnly]
    private static nint Entry(nint arg)
    {
        GCHandle handle = GCHandle.FromIntPtr(arg);
        var body = (Action)handle.Target!;
        handle.Free();
        body();
        return 0;
    }

    // pthread_attr_t: 56 bytes on x86-64 and arm64 glibc; room to spare.
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    private struct PthreadAttr
    {
    }

    [LibraryImport(Libc, EntryPoint = "pthread_attr_init")]
    private static partial int pthread_attr_init(PthreadAttr* attr);

    [LibraryImport(Libc, EntryPoint = "pthread_attr_destroy")]
    private static partial int pthread_attr_destroy(PthreadAttr* attr);

    [LibraryImport(Libc, EntryPoint = "pthread_attr_setdetachstate")]
    private static partial int pthread_attr_setdetachstate(PthreadAttr* attr, int state);

    [LibraryImport(Libc, EntryPoint = "pthread_attr_setstacksize")]
    private static partial int pthread_attr_setstacksize(PthreadAttr* attr, nuint size);

    [LibraryImport(Libc, EntryPoint = "pthread_create")]
    private static partial int pthread_create(ulong* thread, PthreadAttr* attr, delegate* unmanaged<nint, nint> start, nint arg);
}
