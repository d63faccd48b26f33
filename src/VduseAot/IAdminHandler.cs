using System.Text.Json;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>Answers the requests of an admin socket.</summary>
public interface IAdminHandler
{
    /// <summary>
    /// Writes the reply properties after "ok":true for <paramref name="verb"/>, whose request (a JSON
    /// object) is <paramref name="request"/>. Throws <see cref="VduseException"/> for an error reply.
    /// Returns true when the connection must stay open until the server is disposed (stop: the client
    /// waits for the end).
    /// </summary>
    bool Handle(AdminVerb verb, JsonElement request, Utf8JsonWriter reply);
}
