namespace VduseAot.Vduse;

/// <summary>What <see cref="MappedFile.OpenSized"/> does with a file that exists.</summary>
public enum ImageOpen
{
    /// <summary>Start from zeroes (a new RAM disk).</summary>
    Fresh,

    /// <summary>Keep it when it has exactly the disk's size (a RAM disk taken over), else start from zeroes.</summary>
    KeepSameSize,

    /// <summary>The user's image: never truncate; extend when shorter.</summary>
    UserFile,
}
