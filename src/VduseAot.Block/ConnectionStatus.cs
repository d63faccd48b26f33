namespace VduseAot.Block;

/// <summary>
/// One network connection of a backend as `stats` shows it (a racy copy of counters its thread keeps).
/// </summary>
/// <param name="Name">Which connection: "queue 1", "shared connection".</param>
/// <param name="Peer">The server it goes to.</param>
/// <param name="State">"connected", "connecting" (never was yet), "reconnecting" or "closing".</param>
/// <param name="Reconnects">Connections made after its first one.</param>
/// <param name="InFlight">Requests it holds: sent and not answered, or waiting to be sent.</param>
/// <param name="ServerErrors">Requests the server answered with an error.</param>
/// <param name="LastError">Why it was last lost, or why the last attempt failed (null: never).</param>
public sealed record ConnectionStatus(string Name, string Peer, string State, long Reconnects, int InFlight, long ServerErrors, string? LastError);

/// <summary>A backend whose storage is reached through network connections.</summary>
public interface IConnectionStatusSource
{
    /// <summary>Every connection now, in queue order.</summary>
    ConnectionStatus[] Connections();
}
