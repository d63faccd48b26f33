namespace VduseAot.Network;

/// <summary>Where a slot's command stands on its connection.</summary>
internal enum CommandState : byte
{
    /// <summary>No request in the slot.</summary>
    Free,
    /// <summary>Waiting to be sent (or re-sent after a reconnection).</summary>
    Queued,
    /// <summary>Sent (or in the send in flight), waiting for its reply.</summary>
    Sent,
}

/// <summary>
/// What the connection layer keeps of every request slot, whatever the protocol: where its command
/// stands, the status so far and the order it arrived in, so a reconnection resends in the order the
/// driver asked. A request may take several commands one after the other (pieces, ranges): they share
/// the slot's track.
/// </summary>
internal struct SlotTrack
{
    /// <summary>State on the connection.</summary>
    public CommandState State;

    /// <summary>VIRTIO_BLK_S_* so far (IOERR once any command of the request failed).</summary>
    public byte Status;

    /// <summary>Order of arrival.</summary>
    public ulong Sequence;
}
