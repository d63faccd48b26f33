using System;
using System.Globalization;
using System.Text;

namespace VduseAot;

/// <summary>
/// A document in the Prometheus text exposition format (version 0.0.4): families announced by HELP
/// and TYPE lines, each followed by all of its samples, one per line, with escaped label values.
/// </summary>
public sealed class PrometheusText
{
    private readonly StringBuilder _text = new();

    /// <summary>Starts family <paramref name="name"/> of <paramref name="type"/> (counter, gauge, histogram).</summary>
    public void Family(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary>One sample; <paramref name="labels"/> are rendered pairs joined by commas (see <see cref="Label"/>).</summary>
    public void Sample(string name, string labels, ulong value) => Sample(name, labels, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>One sample with a floating-point value.</summary>
    public void Sample(string name, string labels, double value) => Sample(name, labels, Number(value));

    private void Sample(string name, string labels, string value)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{').Append(labels).Append('}');
        }

        _text.Append(' ').Append(value).Append('\n');
    }

    /// <summary>name="value" with the value escaped (backslash, double quote, line feed).</summary>
    public static string Label(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return name + "=\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
    }

    /// <summary>HELP text escapes only backslash and line feed.</summary>
    public static string EscapeHelp(string help)
    {
        ArgumentNullException.ThrowIfNull(help);
        return help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>A float as Prometheus (and Go's ParseFloat) reads it: shortest round trip, +Inf, -Inf, NaN.</summary>
    public static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The document so far.</summary>
    public override string ToString() => _text.ToString();
}
