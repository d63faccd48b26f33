using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Block;

namespace VduseAot.Network;

/// <summary>A network backend's open connections, for `stats`: added and removed as queues start and stop (never on the hot path).</summary>
internal sealed class QueueConnections
{
    private readonly List<QueueConnection> _connections = new();

    /// <summary>A connection opened.</summary>
    public void Add(QueueConnection connection)
    {
        lock (_connections)
        {
            _connections.Add(connection);
        }
    }

    /// <summary>A connection closed for good.</summary>
    public void Remove(QueueConnection connection)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }
    }

    /// <summary>Sends that went through a pipe by reference, over the open connections.</summary>
    public long SplicedSends()
    {
        lock (_connections)
        {
            return _connections.Sum(c => c.SplicedSends);
        }
    }

    /// <summary>Every connection's status, "queue 2" before "queue 10": shorter names first, then by name.</summary>
    public ConnectionStatus[] Statuses()
    {
        lock (_connections)
        {
            return [.. _connections.ConvertAll(c => c.Status()).OrderBy(c => c.Name.Length).ThenBy(c => c.Name, StringComparer.Ordinal)];
        }
    }
}
