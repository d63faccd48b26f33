using VduseAot.Block;

namespace VduseAot;

/// <content>The network backends' connections: one series per connection, labelled with its name and peer.</content>
public static partial class PrometheusMetrics
{
    private static void WriteConnections(PrometheusText t, string device, ConnectionStatus[] connections)
    {
        if (connections.Length == 0)
        {
            return; // a local backend: no families rather than empty ones
        }

        var labels = new string[connections.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = device + "," + PrometheusText.Label("connection", connections[i].Name) + "," + PrometheusText.Label("peer", connections[i].Peer);
        }

        PerItem(t, "connection_up", "gauge", "1 while the connection to the storage server is up, 0 while it is being made again.", labels, connections,
            c => c.State == "connected" ? 1UL : 0UL);
        PerItem(t, "connection_reconnects_total", "counter", "Times the connection was made again after it was lost.", labels, connections,
            c => (ulong)c.Reconnects);
        PerItem(t, "connection_in_flight_requests", "gauge", "Requests the connection holds: sent and not answered, or waiting for it.", labels, connections,
            c => (ulong)c.InFlight);
        PerItem(t, "connection_server_errors_total", "counter", "Requests the server answered with an error.", labels, connections,
            c => (ulong)c.ServerErrors);
    }
}
