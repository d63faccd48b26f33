using System;
using System.Text;
using VduseAot.Network;
using VduseAot.Network.NvmeTcp;

namespace VduseAot;

/// <content>The NVMe/TCP backend's options: --nvme-tcp, --nqn, --nsid, --hostnqn, --nvme-digest.</content>
public sealed partial class ServeOptions
{
    /// <summary>NVMe/TCP's well-known port.</summary>
    public const int NvmeTcpPort = 4420;

    // The prefix of a UUID-based host NQN (NVM Express Base Specification, 4.7 NVMe Qualified Names).
    private const string UuidNqnPrefix = "nqn.2014-08.org.nvmexpress:uuid:";

    /// <summary>--nvme-tcp HOST[:PORT].</summary>
    public NetworkEndpoint? NvmeTcpEndpoint { get; private set; }

    /// <summary>--nqn: the subsystem.</summary>
    public string? Nqn { get; private set; }

    /// <summary>--nsid (default 1).</summary>
    public uint Nsid { get; private set; } = 1;

    /// <summary>--hostnqn, or the one the running device's state records (null: a new UUID-based one).</summary>
    public string? HostNqn { get; private set; }

    /// <summary>--nvme-digest header: header digests.</summary>
    public bool HeaderDigest { get; private set; }

    /// <summary>--nvme-digest data: data digests.</summary>
    public bool DataDigest { get; private set; }

    private bool _nvmeOptionGiven;

    private void ChooseNvmeTcp(string option, string value)
    {
        NvmeTcpEndpoint = NetworkEndpoint.TryParseHostPort(value, NvmeTcpPort, out string? error) ?? throw new UsageException(option + ": " + error);
        ChooseBackend(BackendKind.NvmeTcp, option);
    }

    private void ParseNsid(string option, string value)
    {
        _nvmeOptionGiven = true;
        Nsid = OptionText.Number(option, value, 1, 0xFFFF_FFFE);
    }

    private string ParseNqn(string option, string value)
    {
        _nvmeOptionGiven = true;

        // NQNs are at most 223 bytes (the Connect data's fields hold 256 with the NUL).
        if (!value.StartsWith("nqn.", StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(value) > 223 || value.Contains(' ', StringComparison.Ordinal))
        {
            throw new UsageException(option + " '" + value + "' is not an NVMe qualified name (nqn.YYYY-MM.reverse.domain:name, at most 223 bytes, no spaces)");
        }

        return value;
    }

    private void Digests(string option, string value)
    {
        _nvmeOptionGiven = true;
        HeaderDigest = DataDigest = false;
        foreach (string part in value.Split(','))
        {
            switch (part)
            {
                case "header":
                    HeaderDigest = true;
                    break;
                case "data":
                    DataDigest = true;
                    break;
                case "none" when value == "none":
                    break;
                default:
                    throw new UsageException(option + " '" + value + "' must be header, data, header,data or none");
            }
        }
    }

    private void ValidateNvmeTcp()
    {
        if (Backend != BackendKind.NvmeTcp)
        {
            if (_nvmeOptionGiven)
            {
                throw new UsageException("--nqn, --nsid, --hostnqn and --nvme-digest apply to --nvme-tcp only");
            }

            return;
        }

        if (Nqn is null)
        {
            throw new UsageException("--nvme-tcp needs --nqn SUBSYSTEM_NQN (the subsystem to connect to)");
        }
    }

    /// <summary>A takeover without --hostnqn goes on as the host NQN the running device's state records.</summary>
    internal void AdoptHostNqn(string hostNqn) => HostNqn ??= hostNqn;

    /// <summary>The backend identity recorded in the state file: the subsystem, namespace and who we are to it.</summary>
    internal string NvmeTcpIdentity() => "nvme-tcp " + NvmeTcpEndpoint + " " + Nqn + " nsid " + Nsid + " hostnqn " + ResolvedHostNqn();

    /// <summary>The host NQN of a recorded identity (null: none recorded).</summary>
    internal static string? RecordedHostNqn(string identity)
    {
        int at = identity.IndexOf(" hostnqn ", StringComparison.Ordinal);
        return identity.StartsWith("nvme-tcp ", StringComparison.Ordinal) && at > 0 ? identity[(at + 9)..] : null;
    }

    /// <summary>The options the backend connects with.</summary>
    internal NvmeTcpOptions ToNvmeTcpOptions()
    {
        string hostNqn = ResolvedHostNqn();
        return new NvmeTcpOptions(NvmeTcpEndpoint!, Nqn!, Nsid, hostNqn, HostId(hostNqn), HeaderDigest, DataDigest);
    }

    /// <summary>--hostnqn, the recorded one, or (for a new device) a new UUID-based one, kept from then on.</summary>
    private string ResolvedHostNqn() => HostNqn ??= UuidNqnPrefix + Guid.NewGuid().ToString("D");

    /// <summary>The host identifier: the UUID of a UUID-based NQN, else one derived from the NQN (the same NQN, the same id).</summary>
    private static Guid HostId(string hostNqn)
    {
        if (hostNqn.StartsWith(UuidNqnPrefix, StringComparison.Ordinal) && Guid.TryParse(hostNqn.AsSpan(UuidNqnPrefix.Length), out Guid id))
        {
            return id;
        }

        // FNV-1a, twice with different seeds: no cryptography (a static binary has no libssl), and
        // the host identifier only has to be stable and unlikely to collide between hosts.
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, Fnv1a(hostNqn, 0xcbf29ce484222325));
        BitConverter.TryWriteBytes(bytes[8..], Fnv1a(hostNqn, 0x84222325cbf29ce4));
        bytes[7] = (byte)((bytes[7] & 0x0f) | 0x80); // version 8: a name-based UUID of our own scheme (RFC 9562)
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80); // the RFC variant
        return new Guid(bytes);
    }

    private static ulong Fnv1a(string text, ulong hash)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 0x100000001b3;
        }

        return hash;
    }
}
