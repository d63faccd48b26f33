using System.Globalization;

namespace VduseAot.Block;

/// <summary>Sizes with K/M/G/T suffixes (powers of 1024), as the CLI takes and prints them.</summary>
public static class SizeText
{
    /// <summary>Parses "64M", "1G", "4096" (bytes). Returns false on anything else or on overflow.</summary>
    public static bool TryParse(string text, out ulong bytes)
    {
        bytes = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        int shift = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ => 0,
        };
        string digits = shift == 0 ? text : text[..^1];
        if (digits.Length == 0 || !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
        {
            return false;
        }

        if (n > (ulong.MaxValue >> shift))
        {
            return false;
        }

        bytes = n << shift;
        return true;
    }

    /// <summary>"64 MiB", "1.5 GiB", "512 B".</summary>
    public static string Format(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }

        return v.ToString(v == System.Math.Floor(v) ? "0" : "0.##", CultureInfo.InvariantCulture) + " " + units[u];
    }
}
