using System;
using System.Threading;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// A daemon thread (a queue's, the kernel message thread), started without waiting for it to run
/// (a <see cref="NativeThread"/>: a takeover starts them on the path the guest waits for);
/// <see cref="Exited"/> stands in for Join. Nothing escapes its body: an exception is logged for
/// <c>device</c> and ends the thread.
/// </summary>
internal sealed class DetachedThread
{
    private readonly Action _body;
    private readonly string _device;
    private readonly string _name;
    private readonly int _stackBytes;

    /// <summary>A thread named <paramref name="name"/> (as top -H shows it) to run <paramref name="body"/> for <paramref name="device"/>; not started.</summary>
    public DetachedThread(string device, string name, Action body, int stackBytes = 0)
    {
        _device = device;
        _name = name;
        _body = body;
        _stackBytes = stackBytes;
    }

    /// <summary>Set when the body has returned (or thrown).</summary>
    public ManualResetEventSlim Exited { get; } = WaitEvent.Create();

    /// <summary>Started and not ended yet.</summary>
    public bool IsAlive => _started && !Exited.IsSet;

    private bool _started;

    /// <summary>Starts the thread; throws <see cref="VduseException"/> with the errno when it cannot be made.</summary>
    public void Start()
    {
        int rc = NativeThread.Start(Run, _stackBytes);
        if (rc != 0)
        {
            throw new VduseException("cannot start thread " + _name + ": " + ((Errno)rc).Describe());
        }

        _started = true;
    }

    /// <summary>Waits for a started thread to end.</summary>
    public void Join()
    {
        if (_started)
        {
            Exited.Wait();
        }
    }

    private void Run()
    {
        try
        {
            CpuAffinity.NameCurrentThread(_name);
            _body();
        }
        catch (Exception e)
        {
            Log.Write(LogLevel.Error, _device, "thread " + _name + " failed: " + e.Message);
        }
        finally
        {
            Exited.Set();
        }
    }
}
