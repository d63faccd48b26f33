using System;

namespace VduseAot;

/// <summary>
/// One `serve` option: its name, whether the next argument is its value, and how it applies (given
/// the options being built, its own name for messages, and the value, or "" for a flag).
/// </summary>
internal sealed record ServeOptionSpec(string Name, bool TakesValue, Action<ServeOptions, string, string> Apply);
