using System.Globalization;

namespace VduseAot.Virtio;

/// <summary>
/// The device's side of feature negotiation (virtio 1.2 section 3.1.1): the driver may accept only
/// features the device offered. Neither the kernel's vhost-vdpa nor VDUSE checks that, so a driver
/// that sets VIRTIO_F_RING_PACKED on a device that offered split rings only would otherwise have its
/// split ring read as packed.
/// </summary>
public static class FeatureNegotiation
{
    /// <summary>
    /// Null when <paramref name="accepted"/> is a subset of <paramref name="offered"/>; otherwise
    /// the reason to refuse FEATURES_OK (and DRIVER_OK), naming the bits.
    /// </summary>
    public static string? Refusal(ulong offered, ulong accepted)
    {
        ulong unoffered = accepted & ~offered;
        return unoffered == 0
            ? null
            : "the driver accepted features 0x" + unoffered.ToString("x", CultureInfo.InvariantCulture)
                + " the device did not offer (offered 0x" + offered.ToString("x", CultureInfo.InvariantCulture) + ")";
    }
}
