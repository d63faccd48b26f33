using System;
using System.Collections.Generic;
using System.Globalization;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// A virtio-blk driver session on one /dev/vhost-vdpa-N: status handshake and feature negotiation
/// (virtio 1.2 section 3.1), the IOTLB, the rings, resets. Cases drive its queues.
/// </summary>
public sealed class BlkDriver : IDisposable
{
    /// <summary>Ring size the driver asks for (capped by what the device takes).</summary>
    public const ushort WantedRingSize = 256;

    private const byte Ack = VirtioConstants.VIRTIO_CONFIG_S_ACKNOWLEDGE;
    private const byte Driver = VirtioConstants.VIRTIO_CONFIG_S_DRIVER;
    private const byte FeaturesOk = VirtioConstants.VIRTIO_CONFIG_S_FEATURES_OK;
    private const byte DriverOk = VirtioConstants.VIRTIO_CONFIG_S_DRIVER_OK;

    /// <summary>Opens <paramref name="path"/> with <paramref name="queues"/> queues (the device must have them).</summary>
    public BlkDriver(string path, int queues)
    {
        Device = VhostDevice.Open(path);
        Memory = new DriverMemory();
        Offered = Device.DeviceFeatures();
        ushort size = Math.Min(WantedRingSize, Device.MaxRingSize());
        if (size < 3 * RequestSlots.Count)
        {
            throw new DriverException(path + " takes rings of at most " + size + " entries; the cases need " + (3 * RequestSlots.Count));
        }

        if (queues > 1 && (Offered & Bit(VirtioBlk.VIRTIO_BLK_F_MQ)) == 0)
        {
            throw new DriverException(path + " does not offer VIRTIO_BLK_F_MQ: serve it with --queues " + queues);
        }

        Queues = new DriverQueue[queues];
        Slots = new RequestSlots[queues];
        for (int i = 0; i < queues; i++)
        {
            Queues[i] = new DriverQueue(Memory, (uint)i, size);
            Slots[i] = new RequestSlots(Memory, Queues[i]);
        }
    }

    /// <summary>The vhost-vdpa device.</summary>
    public VhostDevice Device { get; }

    /// <summary>The memory the IOTLB maps.</summary>
    public DriverMemory Memory { get; }

    /// <summary>The features the device offers.</summary>
    public ulong Offered { get; }

    /// <summary>The features of the last successful <see cref="Start"/>.</summary>
    public ulong Negotiated { get; private set; }

    /// <summary>The queues.</summary>
    public DriverQueue[] Queues { get; }

    /// <summary>Each queue's request slots.</summary>
    public RequestSlots[] Slots { get; }

    /// <summary>The features a Linux-like driver takes: what it knows of what is offered (no EVENT_IDX: every completion interrupts).</summary>
    public ulong Wanted =>
        Offered & (Bit(VirtioConstants.VIRTIO_F_VERSION_1) | Bit(VirtioConstants.VIRTIO_F_ACCESS_PLATFORM)
            | Bit(VirtioConstants.VIRTIO_RING_F_INDIRECT_DESC) | Bit(VirtioBlk.VIRTIO_BLK_F_FLUSH)
            | Bit(VirtioBlk.VIRTIO_BLK_F_MQ) | Bit(VirtioBlk.VIRTIO_BLK_F_BLK_SIZE) | Bit(VirtioBlk.VIRTIO_BLK_F_SEG_MAX));

    /// <summary>1 shifted by <paramref name="bit"/>.</summary>
    public static ulong Bit(int bit) => 1UL << bit;

    /// <summary>Hex for messages.</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Resets the device and brings it up with <see cref="Wanted"/> features and every queue running.</summary>
    public void Start()
    {
        string? refused = Negotiate(Wanted);
        if (refused != null)
        {
            throw new DriverException(refused);
        }

        Run();
    }

    /// <summary>
    /// Reset, ACKNOWLEDGE, DRIVER, SET_FEATURES, FEATURES_OK. Returns null when the device kept
    /// FEATURES_OK, else what refused the features (the ioctl's errno, or the status read back).
    /// </summary>
    public string? Negotiate(ulong features)
    {
        Reset();
        Device.SetStatus(Ack);
        Device.SetStatus(Ack | Driver);
        Errno e = Device.TrySetFeatures(features);
        if (e != Errno.OK)
        {
            return "VHOST_SET_FEATURES " + Hex(features) + " failed: " + e.Describe();
        }

        Device.SetStatus(Ack | Driver | FeaturesOk);
        byte status = Device.Status();
        if ((status & FeaturesOk) == 0)
        {
            return "FEATURES_OK not kept for " + Hex(features) + " (status reads back " + Hex(status) + ")";
        }

        Negotiated = features;
        return null;
    }

    /// <summary>After <see cref="Negotiate"/>: IOTLB, rings, DRIVER_OK.</summary>
    public void Run()
    {
        Memory.MapAll(Device);
        foreach (DriverQueue q in Queues)
        {
            q.Clear();
            Device.SetUpRing(q.Index, q.Size, q.DescIova, q.AvailIova, q.UsedIova, q.KickFd.Value, q.CallFd.Value);
        }

        Device.SetStatus(Ack | Driver | FeaturesOk | DriverOk);
        byte status = Device.Status();
        if ((status & DriverOk) == 0 || (status & VirtioConstants.VIRTIO_CONFIG_S_NEEDS_RESET) != 0)
        {
            throw new DriverException("DRIVER_OK not kept: status reads back " + Hex(status));
        }
    }

    /// <summary>Status 0: the device stops every queue; the driver's rings start over.</summary>
    public void Reset()
    {
        Device.SetStatus(0);
        byte status = Device.Status();
        if (status != 0)
        {
            throw new DriverException("status reads back " + Hex(status) + " after a reset, not 0");
        }

        foreach (DriverQueue q in Queues)
        {
            q.Clear();
        }
    }

    /// <summary>Publishes <paramref name="heads"/> on queue <paramref name="queue"/> and kicks once.</summary>
    public void Submit(int queue, params ReadOnlySpan<ushort> heads)
    {
        DriverQueue q = Queues[queue];
        foreach (ushort h in heads)
        {
            q.Add(h);
        }

        q.Publish();
        q.Kick();
    }

    /// <summary>Waits for one used element per head in <paramref name="heads"/>; fails the case unless exactly those came back.</summary>
    public Dictionary<uint, uint> Expect(int queue, int timeoutMs, params ReadOnlySpan<ushort> heads)
    {
        List<UsedElement> got = Queues[queue].WaitUsed(heads.Length, timeoutMs);
        var byId = new Dictionary<uint, uint>();
        foreach (UsedElement e in got)
        {
            if (!byId.TryAdd(e.Id, e.Length))
            {
                throw new CaseFailedException("queue " + queue + " returned head " + e.Id + " twice");
            }
        }

        foreach (ushort h in heads)
        {
            if (!byId.ContainsKey(h))
            {
                throw new CaseFailedException("queue " + queue + " did not return head " + h + " within " + timeoutMs + " ms ("
                    + got.Count + " of " + heads.Length + " returned)");
            }
        }

        if (byId.Count != heads.Length)
        {
            throw new CaseFailedException("queue " + queue + " returned heads it was not given");
        }

        return byId;
    }

    /// <summary>Closes the device (the kernel resets it) and frees the memory.</summary>
    public void Dispose()
    {
        foreach (DriverQueue q in Queues)
        {
            q.Dispose();
        }

        Device.Dispose();
        Memory.Dispose();
    }
}
