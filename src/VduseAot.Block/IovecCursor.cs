using Tmds.Linux;

namespace VduseAot.Block;

/// <summary>
/// Progress through an iovec array after a short transfer: whole entries are skipped, a partly
/// transferred one is trimmed in place, so the rest of the array can be handed to the kernel again.
/// </summary>
public static unsafe class IovecCursor
{
    /// <summary>
    /// Accounts <paramref name="bytes"/> transferred from entry <paramref name="first"/> of the
    /// <paramref name="count"/> entries of <paramref name="iov"/>; returns the first entry not fully
    /// transferred (<paramref name="count"/> once everything was).
    /// </summary>
    public static int Advance(iovec* iov, int first, int count, ulong bytes)
    {
        while (bytes > 0 && first < count)
        {
            ulong len = iov[first].iov_len;
            if (bytes < len)
            {
                iov[first].iov_base = (byte*)iov[first].iov_base + bytes;
                iov[first].iov_len = (size_t)(len - bytes);
                return first;
            }

            bytes -= len;
            first++;
        }

        return first;
    }
}
