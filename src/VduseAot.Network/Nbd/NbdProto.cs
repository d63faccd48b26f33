namespace VduseAot.Network.Nbd;

/// <summary>
/// Constants of the NBD protocol (the NBD project's doc/proto.md, with the EXTENDED_HEADERS extension),
/// under the document's names. Everything on the wire is big-endian.
/// </summary>
public static class NbdProto
{
    /// <summary>"NBDMAGIC": the server's first eight bytes.</summary>
    public const ulong NBDMAGIC = 0x4e42444d41474943;

    /// <summary>"IHAVEOPT": the newstyle magic, and the prefix of every option the client sends.</summary>
    public const ulong IHAVEOPT = 0x49484156454F5054;

    /// <summary>The magic of every option reply.</summary>
    public const ulong NBD_OPT_REPLY_MAGIC = 0x3e889045565a9;

    /// <summary>Handshake flag: the server speaks fixed newstyle.</summary>
    public const ushort NBD_FLAG_FIXED_NEWSTYLE = 1 << 0;

    /// <summary>Handshake flag: the 124 zero bytes after NBD_OPT_EXPORT_NAME may be omitted.</summary>
    public const ushort NBD_FLAG_NO_ZEROES = 1 << 1;

    /// <summary>Client flag: fixed newstyle.</summary>
    public const uint NBD_FLAG_C_FIXED_NEWSTYLE = 1 << 0;

    /// <summary>Client flag: no zeroes.</summary>
    public const uint NBD_FLAG_C_NO_ZEROES = 1 << 1;

    /// <summary>Option: end the negotiation.</summary>
    public const uint NBD_OPT_ABORT = 2;

    /// <summary>Option: choose an export and enter transmission, with information replies.</summary>
    public const uint NBD_OPT_GO = 7;

    /// <summary>Option: structured replies.</summary>
    public const uint NBD_OPT_STRUCTURED_REPLY = 8;

    /// <summary>Option: 32-byte extended request and reply headers (implies structured replies).</summary>
    public const uint NBD_OPT_EXTENDED_HEADERS = 11;

    /// <summary>Option reply: accepted, or the end of a list.</summary>
    public const uint NBD_REP_ACK = 1;

    /// <summary>Option reply: one NBD_INFO_* record.</summary>
    public const uint NBD_REP_INFO = 3;

    /// <summary>Bit 31 marks an error reply.</summary>
    public const uint NBD_REP_FLAG_ERROR = 1u << 31;

    /// <summary>Error reply: the option is not known to the server.</summary>
    public const uint NBD_REP_ERR_UNSUP = NBD_REP_FLAG_ERROR | 1;

    /// <summary>Error reply: forbidden by the server's policy.</summary>
    public const uint NBD_REP_ERR_POLICY = NBD_REP_FLAG_ERROR | 2;

    /// <summary>Error reply: the option was malformed or out of place.</summary>
    public const uint NBD_REP_ERR_INVALID = NBD_REP_FLAG_ERROR | 3;

    /// <summary>Error reply: the server's platform lacks it.</summary>
    public const uint NBD_REP_ERR_PLATFORM = NBD_REP_FLAG_ERROR | 4;

    /// <summary>Error reply: TLS is required first.</summary>
    public const uint NBD_REP_ERR_TLS_REQD = NBD_REP_FLAG_ERROR | 5;

    /// <summary>Error reply: no such export.</summary>
    public const uint NBD_REP_ERR_UNKNOWN = NBD_REP_FLAG_ERROR | 6;

    /// <summary>Error reply: the server is shutting down.</summary>
    public const uint NBD_REP_ERR_SHUTDOWN = NBD_REP_FLAG_ERROR | 7;

    /// <summary>Error reply: the client must ask for NBD_INFO_BLOCK_SIZE.</summary>
    public const uint NBD_REP_ERR_BLOCK_SIZE_REQD = NBD_REP_FLAG_ERROR | 8;

    /// <summary>Error reply: too large.</summary>
    public const uint NBD_REP_ERR_TOO_BIG = NBD_REP_FLAG_ERROR | 9;

    /// <summary>Error reply: extended headers are required.</summary>
    public const uint NBD_REP_ERR_EXT_HEADER_REQD = NBD_REP_FLAG_ERROR | 10;

    /// <summary>Info: size and transmission flags.</summary>
    public const ushort NBD_INFO_EXPORT = 0;

    /// <summary>Info: block size constraints (minimum, preferred, maximum payload).</summary>
    public const ushort NBD_INFO_BLOCK_SIZE = 3;

    /// <summary>Transmission flag: the other flags are valid.</summary>
    public const ushort NBD_FLAG_HAS_FLAGS = 1 << 0;

    /// <summary>Transmission flag: the export is read-only.</summary>
    public const ushort NBD_FLAG_READ_ONLY = 1 << 1;

    /// <summary>Transmission flag: NBD_CMD_FLUSH is served.</summary>
    public const ushort NBD_FLAG_SEND_FLUSH = 1 << 2;

    /// <summary>Transmission flag: NBD_CMD_FLAG_FUA is served.</summary>
    public const ushort NBD_FLAG_SEND_FUA = 1 << 3;

    /// <summary>Transmission flag: NBD_CMD_TRIM is served.</summary>
    public const ushort NBD_FLAG_SEND_TRIM = 1 << 5;

    /// <summary>Transmission flag: NBD_CMD_WRITE_ZEROES is served.</summary>
    public const ushort NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;

    /// <summary>Transmission flag: a flush on one connection covers writes answered on every connection.</summary>
    public const ushort NBD_FLAG_CAN_MULTI_CONN = 1 << 8;

    /// <summary>Command: read.</summary>
    public const ushort NBD_CMD_READ = 0;

    /// <summary>Command: write.</summary>
    public const ushort NBD_CMD_WRITE = 1;

    /// <summary>Command: soft disconnect.</summary>
    public const ushort NBD_CMD_DISC = 2;

    /// <summary>Command: flush.</summary>
    public const ushort NBD_CMD_FLUSH = 3;

    /// <summary>Command: trim (discard).</summary>
    public const ushort NBD_CMD_TRIM = 4;

    /// <summary>Command: write zeroes.</summary>
    public const ushort NBD_CMD_WRITE_ZEROES = 6;

    /// <summary>Command flag: WRITE_ZEROES must not punch a hole.</summary>
    public const ushort NBD_CMD_FLAG_NO_HOLE = 1 << 1;

    /// <summary>Command flag (extended headers): the length is the payload's.</summary>
    public const ushort NBD_CMD_FLAG_PAYLOAD_LEN = 1 << 5;

    /// <summary>Compact request magic (28-byte header).</summary>
    public const uint NBD_REQUEST_MAGIC = 0x25609513;

    /// <summary>Extended request magic (32-byte header).</summary>
    public const uint NBD_EXTENDED_REQUEST_MAGIC = 0x21e41c71;

    /// <summary>Simple reply magic (16-byte header).</summary>
    public const uint NBD_SIMPLE_REPLY_MAGIC = 0x67446698;

    /// <summary>Structured reply chunk magic (20-byte header).</summary>
    public const uint NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    /// <summary>Extended reply chunk magic (32-byte header).</summary>
    public const uint NBD_EXTENDED_REPLY_MAGIC = 0x6e8a278c;

    /// <summary>Chunk flag: the last chunk of the reply.</summary>
    public const ushort NBD_REPLY_FLAG_DONE = 1 << 0;

    /// <summary>Chunk: no payload; ends a reply.</summary>
    public const ushort NBD_REPLY_TYPE_NONE = 0;

    /// <summary>Chunk: 64-bit offset, then data.</summary>
    public const ushort NBD_REPLY_TYPE_OFFSET_DATA = 1;

    /// <summary>Chunk: 64-bit offset, 32-bit size of a range that reads as zeroes.</summary>
    public const ushort NBD_REPLY_TYPE_OFFSET_HOLE = 2;

    /// <summary>Bit 15 of a chunk type marks an error chunk.</summary>
    public const ushort NBD_REPLY_TYPE_ERROR_BIT = 1 << 15;

    /// <summary>Error chunk: 32-bit error, 16-bit message length, message.</summary>
    public const ushort NBD_REPLY_TYPE_ERROR = NBD_REPLY_TYPE_ERROR_BIT | 1;

    /// <summary>Error chunk: as NBD_REPLY_TYPE_ERROR, then the 64-bit offset it concerns.</summary>
    public const ushort NBD_REPLY_TYPE_ERROR_OFFSET = NBD_REPLY_TYPE_ERROR_BIT | 2;

    /// <summary>The default TCP port (IANA).</summary>
    public const int DefaultPort = 10809;

    /// <summary>The maximum payload a client may assume when the server gives no NBD_INFO_BLOCK_SIZE.</summary>
    public const uint DefaultMaxPayload = 32u << 20;

    /// <summary>A name for an option reply type, for messages.</summary>
    public static string ReplyName(uint reply) => reply switch
    {
        NBD_REP_ERR_UNSUP => "NBD_REP_ERR_UNSUP",
        NBD_REP_ERR_POLICY => "NBD_REP_ERR_POLICY",
        NBD_REP_ERR_INVALID => "NBD_REP_ERR_INVALID",
        NBD_REP_ERR_PLATFORM => "NBD_REP_ERR_PLATFORM",
        NBD_REP_ERR_TLS_REQD => "NBD_REP_ERR_TLS_REQD",
        NBD_REP_ERR_UNKNOWN => "NBD_REP_ERR_UNKNOWN",
        NBD_REP_ERR_SHUTDOWN => "NBD_REP_ERR_SHUTDOWN",
        NBD_REP_ERR_BLOCK_SIZE_REQD => "NBD_REP_ERR_BLOCK_SIZE_REQD",
        NBD_REP_ERR_TOO_BIG => "NBD_REP_ERR_TOO_BIG",
        NBD_REP_ERR_EXT_HEADER_REQD => "NBD_REP_ERR_EXT_HEADER_REQD",
        _ => "reply type 0x" + reply.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
    };
}
