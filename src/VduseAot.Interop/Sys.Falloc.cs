namespace VduseAot.Interop;

// Ours because Tmds.LibC stops at FALLOC_FL_KEEP_SIZE and FALLOC_FL_PUNCH_HOLE (linux/falloc.h).
public static partial class Sys
{
    /// <summary>FALLOC_FL_ZERO_RANGE: make the range read as zeroes, keeping it allocated.</summary>
    public const int FALLOC_FL_ZERO_RANGE = 0x10;
}
