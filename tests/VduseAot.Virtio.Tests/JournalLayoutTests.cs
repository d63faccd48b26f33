using System.Runtime.InteropServices;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>The journal's shared layout: fixed offsets and bit fields a successor binary reads.</summary>
public sealed class JournalLayoutTests
{
    [Theory]
    [InlineData(nameof(JournalHeader.AvailWord), 0)]
    [InlineData(nameof(JournalHeader.UsedWord), 8)]
    [InlineData(nameof(JournalHeader.BaseSeq), 16)]
    [InlineData(nameof(JournalHeader.StoredSize), 24)]
    [InlineData(nameof(JournalHeader.StoredLayout), 28)]
    public void Header_offsets_do_not_move(string field, int offset)
    {
        Assert.Equal(offset, (int)Marshal.OffsetOf<JournalHeader>(field));
        Assert.Equal(64, Marshal.SizeOf<JournalHeader>());
    }

    [Theory]
    [InlineData((ushort)0, false, 0UL, 0UL)]
    [InlineData((ushort)0xffff, true, 1UL, 0x3ffffUL)]
    [InlineData((ushort)5, false, (1UL << 47) - 1, 0xffff_ffff_fffe_0005UL)]
    public void Avail_words_pack_as_recorded_and_unpack_whole(ushort index, bool wrap, ulong pops, ulong word)
    {
        Assert.Equal(word, JournalWord.Avail(index, wrap, pops));
        Assert.Equal(index, JournalWord.Index(word));
        Assert.Equal(wrap, JournalWord.Wrap(word));
        Assert.Equal(pops, JournalWord.PopCount(word));
    }

    [Theory]
    [InlineData((ushort)7, true, (ushort)0xffff, 0xffff_0003_0007UL)]
    [InlineData((ushort)0, false, (ushort)1, 0x1_0002_0000UL)]
    public void Pending_used_words_carry_position_and_value(ushort index, bool wrap, ushort value, ulong word)
    {
        Assert.Equal(word, JournalWord.UsedPending(index, wrap, value));
        Assert.True(JournalWord.IsPending(word));
        Assert.Equal(value, JournalWord.PendingValue(word));
        Assert.Equal(index, JournalWord.Index(word));
        Assert.Equal(wrap, JournalWord.Wrap(word));
        Assert.False(JournalWord.IsPending(JournalWord.Used(index, wrap)));
        Assert.Equal(index | (wrap ? 1UL << 16 : 0), JournalWord.Used(index, wrap));
    }
}
