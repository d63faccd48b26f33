namespace VduseAot;

/// <summary>The command-line verbs that talk to a running daemon through its admin socket (each maps onto one or two <see cref="AdminVerb"/>s).</summary>
public enum AdminCliVerb
{
    /// <summary>`list`: info from every socket in the state directory.</summary>
    List,

    /// <summary>`stats NAME`: stats, or metrics with --prometheus.</summary>
    Stats,

    /// <summary>`resize NAME SIZE`.</summary>
    Resize,

    /// <summary>`stop NAME`.</summary>
    Stop,

    /// <summary>`upgrade NAME`: a new daemon takes the device over from the running one (<see cref="UpgradeCommand"/>).</summary>
    Upgrade,
}
