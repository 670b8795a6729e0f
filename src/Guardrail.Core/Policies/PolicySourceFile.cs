namespace Guardrail.Policies;

/// <summary>A policy or taxonomy file's text; <see cref="Path"/> is what error messages show.</summary>
/// <param name="Path">The file's path; its file name also orders policies and enters the version hash.</param>
/// <param name="Text">The file's content as read.</param>
public sealed record PolicySourceFile(string Path, string Text)
{
    /// <summary>The file name without directories: what the version hash and the resolution order use.</summary>
    public string Name => System.IO.Path.GetFileName(Path);
}
