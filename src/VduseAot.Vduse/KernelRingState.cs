using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Vduse;

/// <summary>Ring positions in the kernel's terms (vduse_vq_info's state union, GET_VQ_STATE's answer) and back.</summary>
internal static class KernelRingState
{
    /// <summary>Where the driver started the ring, as the kernel reports it for a fresh start.</summary>
    public static RingPosition Position(in vduse_vq_info info, bool packed)
    {
        if (!packed)
        {
            return RingPosition.Split(info.state.split.avail_index);
        }

        // The kernel reports an all-zero state for a fresh ring; a fresh packed ring starts with
        // both wrap counters set.
        vduse_vq_state_packed s = info.state.packed;
        bool fresh = s.last_avail_counter == 0 && s.last_avail_idx == 0 && s.last_used_counter == 0 && s.last_used_idx == 0;
        return new RingPosition(s.last_avail_idx, fresh || s.last_avail_counter != 0, s.last_used_idx, fresh || s.last_used_counter != 0);
    }

    /// <summary>A packed ring's position as GET_VQ_STATE reports it.</summary>
    public static vduse_vq_state_packed Packed(RingPosition position) => new()
    {
        last_avail_idx = position.AvailIndex,
        last_avail_counter = (ushort)(position.AvailWrap ? 1 : 0),
        last_used_idx = position.UsedIndex,
        last_used_counter = (ushort)(position.UsedWrap ? 1 : 0),
    };
}
