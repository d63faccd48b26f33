using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VduseAot.Interop.Tests;

/// <summary>
/// The C# side of the ABI comparison: keys named like abi_probe.c prints them, valued from the
/// VduseAot.Interop declarations. It also records which C# members the table covers, so a field or
/// constant added to the interop layer without a C counterpart is reported.
/// </summary>
internal sealed class CSharpAbi
{
    private const BindingFlags InstanceFields = BindingFlags.Public | BindingFlags.Instance;
    private const BindingFlags StaticFields = BindingFlags.Public | BindingFlags.Static;

    /// <summary>Key to value (decimal integers, or text).</summary>
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Problems found while building the table (duplicate keys, non-blittable layouts).</summary>
    public List<string> Problems { get; } = [];

    /// <summary>"Type.Member" of every public field and constant the table must cover.</summary>
    private readonly SortedSet<string> expected = new(StringComparer.Ordinal);

    /// <summary>"Type.Member" of every member the table did cover.</summary>
    private readonly HashSet<string> covered = new(StringComparer.Ordinal);

    /// <summary>Members deliberately not compared, with the reason.</summary>
    private readonly Dictionary<string, string> excluded = new(StringComparer.Ordinal);

    /// <summary>Expected members that no table entry covers and no exclusion names.</summary>
    public IEnumerable<string> Uncovered()
    {
        foreach (string member in expected)
        {
            if (!covered.Contains(member) && !excluded.ContainsKey(member))
            {
                yield return member;
            }
        }
    }

    /// <summary>Registers a struct: its size, and all of its public fields and constants as expected members.</summary>
    public void Struct<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] T>()
        where T : unmanaged
    {
        Add(typeof(T).Name + "@size", Unsafe.SizeOf<T>());
        if (Marshal.SizeOf<T>() != Unsafe.SizeOf<T>())
        {
            Problems.Add($"{typeof(T).Name}: marshalled size {Marshal.SizeOf<T>()} differs from managed size {Unsafe.SizeOf<T>()} (not blittable?)");
        }

        Expect<T>();
    }

    /// <summary>
    /// Registers a struct declared by Tmds.LibC: its size only. Its members are not ours to cover; the
    /// ones this code uses are compared through <see cref="Field"/>.
    /// </summary>
    public void ForeignStruct<T>()
        where T : unmanaged
    {
        Add(typeof(T).Name + "@size", Unsafe.SizeOf<T>());
        if (Marshal.SizeOf<T>() != Unsafe.SizeOf<T>())
        {
            Problems.Add($"{typeof(T).Name}: marshalled size {Marshal.SizeOf<T>()} differs from managed size {Unsafe.SizeOf<T>()} (not blittable?)");
        }
    }

    /// <summary>Registers a union type (no C name of its own): its members are expected, covered through <see cref="UnionMember"/>.</summary>
    public void Union<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] T>()
        where T : unmanaged
        => Expect<T>();

    /// <summary>
    /// Offset and size of field <paramref name="field"/> of <typeparamref name="T"/>; for Tmds.LibC's
    /// structs whose members are auto-properties, of the property's backing field.
    /// </summary>
    public void Field<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)] T>(string field)
        where T : unmanaged
    {
        FieldInfo? info = typeof(T).GetField(field, InstanceFields)
            ?? typeof(T).GetField("<" + field + ">k__BackingField", BindingFlags.NonPublic | BindingFlags.Instance);
        if (info is null)
        {
            Problems.Add($"{typeof(T).Name}.{field}: no such public instance field");
            return;
        }

        string key = typeof(T).Name + "." + field;
        Add(key + "@offset", (long)Marshal.OffsetOf<T>(info.Name));
        Add(key + "@size", RuntimeHelpers.SizeOf(info.FieldType.TypeHandle));
        covered.Add(typeof(T).Name + "." + field);
    }

    /// <summary>
    /// Absolute offset (within <typeparamref name="TOuter"/>) and size of member <paramref name="unionField"/>
    /// of the union stored in <typeparamref name="TOuter"/>'s field <paramref name="outerField"/>.
    /// </summary>
    public void UnionMember<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TOuter,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TUnion>(string outerField, string unionField)
        where TOuter : unmanaged
        where TUnion : unmanaged
    {
        FieldInfo? outer = typeof(TOuter).GetField(outerField, InstanceFields);
        FieldInfo? inner = typeof(TUnion).GetField(unionField, InstanceFields);
        if (outer is null || inner is null || outer.FieldType != typeof(TUnion))
        {
            Problems.Add($"{typeof(TOuter).Name}.{outerField}.{unionField}: not a field of type {typeof(TUnion).Name} holding field {unionField}");
            return;
        }

        string key = typeof(TOuter).Name + "." + outerField + "." + unionField;
        Add(key + "@offset", (long)Marshal.OffsetOf<TOuter>(outerField) + (long)Marshal.OffsetOf<TUnion>(unionField));
        Add(key + "@size", RuntimeHelpers.SizeOf(inner.FieldType.TypeHandle));
        covered.Add(typeof(TUnion).Name + "." + unionField);
    }

    /// <summary>Registers every public static field of a static class as an expected member.</summary>
    public void Constants([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type type)
    {
        foreach (FieldInfo f in type.GetFields(StaticFields))
        {
            expected.Add(type.Name + "." + f.Name);
        }
    }

    /// <summary>Marks a member as deliberately not compared.</summary>
    public void Exclude(string member, string reason) => excluded.Add(member, reason);

    /// <summary>An integer constant under its C name; <paramref name="expression"/> names the C# member covered.</summary>
    public void Const(string key, long value, [CallerArgumentExpression(nameof(value))] string expression = "")
    {
        Add(key, value);
        covered.Add(expression);
    }

    /// <summary>An unsigned 64-bit constant under its C name.</summary>
    public void Const(string key, ulong value, [CallerArgumentExpression(nameof(value))] string expression = "")
    {
        AddText(key, value.ToString(CultureInfo.InvariantCulture));
        covered.Add(expression);
    }

    /// <summary>
    /// An ioctl request number under its C name: typed <c>int</c> as Tmds.LibC's ioctl takes it, compared
    /// as the unsigned number the header prints.
    /// </summary>
    public void ConstIoctl(string key, int value, [CallerArgumentExpression(nameof(value))] string expression = "")
    {
        Add(key, unchecked((uint)value));
        covered.Add(expression);
    }

    /// <summary>An errno value under its C name.</summary>
    public void ConstErrno(string key, Errno value, [CallerArgumentExpression(nameof(value))] string expression = "")
    {
        Add(key, (int)value);
        covered.Add(expression);
    }

    /// <summary>A string constant under its C name.</summary>
    public void Const(string key, string value, [CallerArgumentExpression(nameof(value))] string expression = "")
    {
        AddText(key, value);
        covered.Add(expression);
    }

    private void Expect<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] T>()
    {
        foreach (FieldInfo f in typeof(T).GetFields(InstanceFields | BindingFlags.Static))
        {
            expected.Add(typeof(T).Name + "." + f.Name);
        }
    }

    private void Add(string key, long value) => AddText(key, value.ToString(CultureInfo.InvariantCulture));

    private void AddText(string key, string value)
    {
        if (!Values.TryAdd(key, value))
        {
            Problems.Add($"{key}: listed twice in the C# table");
        }
    }
}
