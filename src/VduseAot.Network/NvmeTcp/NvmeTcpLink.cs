namespace VduseAot.Network.NvmeTcp;

/// <summary>What one I/O queue connection agreed with the controller, handed from the connector to the queue thread with the socket.</summary>
/// <param name="DataAlignment">CPDA as bytes: where data starts in the PDUs the host sends.</param>
/// <param name="MaxH2CData">MAXH2CDATA: the most data one H2CData PDU may carry.</param>
/// <param name="QueueEntries">Entries of the I/O queue as connected (at most this minus one commands outstanding).</param>
internal sealed record NvmeTcpLink(int DataAlignment, uint MaxH2CData, int QueueEntries);
