using System;
using System.Buffers.Binary;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// Where the requests of one queue live and how a well-formed one is laid out: slot S has a 16-byte
/// header and a status byte in <see cref="DriverMemory.Control"/>, 4 KiB of data in
/// <see cref="DriverMemory.Data"/>, and descriptors 3S to 3S+2 (header, data, status). Cases build
/// malformed chains from the same pieces.
/// </summary>
public sealed unsafe class RequestSlots
{
    /// <summary>Data bytes per slot.</summary>
    public const uint DataBytes = 4096;

    /// <summary>Slots per queue (3 descriptors each in a 256-entry table).</summary>
    public const ushort Count = 64;

    /// <summary>What a status byte holds before the device answers: no VIRTIO_BLK_S_* value.</summary>
    public const byte Unanswered = 0xEE;

    private const ulong ControlPerQueue = 16 * 1024;
    private const ulong DataPerQueue = 1024 * 1024;
    private readonly DriverMemory _memory;
    private readonly ulong _control;
    private readonly ulong _data;

    /// <summary>The slots of queue <paramref name="queue"/>.</summary>
    public RequestSlots(DriverMemory memory, DriverQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _memory = memory;
        Queue = queue;
        _control = queue.Index * ControlPerQueue;
        _data = queue.Index * DataPerQueue;
    }

    /// <summary>The queue the slots belong to.</summary>
    public DriverQueue Queue { get; }

    /// <summary>IOVA of slot <paramref name="slot"/>'s header.</summary>
    public ulong HeaderIova(int slot) => DriverMemory.Control.At(_control + ((ulong)slot * 16));

    /// <summary>IOVA of slot <paramref name="slot"/>'s status byte.</summary>
    public ulong StatusIova(int slot) => DriverMemory.Control.At(_control + 4096 + (ulong)slot);

    /// <summary>IOVA of slot <paramref name="slot"/>'s data.</summary>
    public ulong DataIova(int slot) => DriverMemory.Data.At(_data + ((ulong)slot * DataBytes));

    /// <summary>IOVA of indirect table <paramref name="table"/> (16 entries of 16 bytes).</summary>
    public ulong TableIova(int table) => DriverMemory.Control.At(_control + 8192 + ((ulong)table * 256));

    /// <summary>The driver's view of slot <paramref name="slot"/>'s status byte.</summary>
    public byte Status(int slot) => *_memory.Host(DriverMemory.Control, _control + 4096 + (ulong)slot);

    /// <summary>The driver's view of slot <paramref name="slot"/>'s data.</summary>
    public Span<byte> Data(int slot) => new(_memory.Host(DriverMemory.Data, _data + ((ulong)slot * DataBytes)), (int)DataBytes);

    /// <summary>Writes slot <paramref name="slot"/>'s header and resets its status byte to <see cref="Unanswered"/>.</summary>
    public void Prepare(int slot, uint type, ulong sector)
    {
        var header = new Span<byte>(_memory.Host(DriverMemory.Control, _control + ((ulong)slot * 16)), 16);
        BinaryPrimitives.WriteUInt32LittleEndian(header, type);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], sector);
        *_memory.Host(DriverMemory.Control, _control + 4096 + (ulong)slot) = Unanswered;
    }

    /// <summary>Writes entry <paramref name="entry"/> of indirect table <paramref name="table"/> (split layout).</summary>
    public void SetTableEntry(int table, int entry, ulong addr, uint len, ushort flags, ushort next = 0)
    {
        var d = (vring_desc*)_memory.Host(DriverMemory.Control, _control + 8192 + ((ulong)table * 256) + ((ulong)entry * 16));
        *d = new vring_desc { addr = addr, len = len, flags = flags, next = next };
    }

    /// <summary>
    /// A well-formed request in slot <paramref name="slot"/>: header, then (unless
    /// <paramref name="dataLength"/> is 0) the data buffer, device-writable for IN and GET_ID, then
    /// the status byte. Returns the head descriptor.
    /// </summary>
    public ushort Build(int slot, uint type, ulong sector, uint dataLength)
    {
        Prepare(slot, type, sector);
        ushort head = (ushort)(3 * slot);
        bool deviceWrites = type == VirtioBlk.VIRTIO_BLK_T_IN || type == VirtioBlk.VIRTIO_BLK_T_GET_ID;
        ushort statusDesc = (ushort)(head + (dataLength == 0 ? 1 : 2));
        Queue.SetDesc(head, HeaderIova(slot), 16, VirtioConstants.VRING_DESC_F_NEXT, (ushort)(head + 1));
        if (dataLength != 0)
        {
            ushort flags = (ushort)(VirtioConstants.VRING_DESC_F_NEXT | (deviceWrites ? VirtioConstants.VRING_DESC_F_WRITE : 0));
            Queue.SetDesc((ushort)(head + 1), DataIova(slot), dataLength, flags, statusDesc);
        }

        Queue.SetDesc(statusDesc, StatusIova(slot), 1, VirtioConstants.VRING_DESC_F_WRITE);
        return head;
    }
}
