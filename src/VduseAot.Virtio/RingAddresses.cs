namespace VduseAot.Virtio;

/// <summary>
/// The guest addresses (IOVAs) of a ring's three areas, as the driver configured them (VDUSE's
/// desc_addr, driver_addr and device_addr). Split rings: descriptor table, avail ring, used ring.
/// Packed rings: descriptor ring, driver event suppression area, device event suppression area.
/// </summary>
/// <param name="Descriptors">The descriptor table (split) or descriptor ring (packed).</param>
/// <param name="Driver">The driver area: the avail ring (split) or the driver event area (packed).</param>
/// <param name="Device">The device area: the used ring (split) or the device event area (packed).</param>
public readonly record struct RingAddresses(ulong Descriptors, ulong Driver, ulong Device);
