using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Guardrail.Cli.Models;

/// <summary>
/// A download in progress: <c>&lt;file&gt;.partial</c> beside its final name, held open exclusively (a second pull of
/// the same file fails instead of interleaving bytes), and <c>&lt;file&gt;.partial.json</c>, the state a later run
/// needs to resume: which source it came from (as a hash: a URL may carry a signature), the validator (ETag) and
/// the total length the server announced. The file takes its final name only through <see cref="Commit"/>.
/// </summary>
internal sealed class PartialDownload : IDisposable
{
    private static readonly JsonSerializerOptions StateJson = new() { WriteIndented = true };
    private bool _closed;

    private PartialDownload(string finalPath, FileStream stream)
    {
        FinalPath = finalPath;
        PartialPath = finalPath + ModelDirectory.PartialSuffix;
        StatePath = finalPath + ModelDirectory.StateSuffix;
        Stream = stream;
    }

    public string FinalPath { get; }

    public string PartialPath { get; }

    public string StatePath { get; }

    /// <summary>The partial file, opened for reading and writing.</summary>
    public FileStream Stream { get; }

    /// <summary>Opens (or creates) the partial file of <paramref name="finalPath"/>.</summary>
    /// <exception cref="DownloadFailure">Another pull holds it, or the directory cannot be written.</exception>
    public static PartialDownload Open(string finalPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(finalPath);
        var partialPath = finalPath + ModelDirectory.PartialSuffix;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!);
            var stream = new FileStream(partialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16);
            return new PartialDownload(finalPath, stream);
        }
        catch (IOException error) when (File.Exists(partialPath))
        {
            throw new DownloadFailure(
                DownloadFailureKind.Refused,
                $"{partialPath} is in use: another 'guardrail model pull' is downloading this file. Wait for it, or stop it first.",
                error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new DownloadFailure(DownloadFailureKind.Refused, $"Cannot write to {Path.GetDirectoryName(finalPath)}: {error.Message}", error);
        }
    }

    /// <summary>The stable identity of a source URL, stored instead of the URL itself.</summary>
    public static string SourceKey(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)));
    }

    /// <summary>The saved resume state, or null when there is none or it cannot be read (the download then starts over).</summary>
    public DownloadState? LoadState()
    {
        try
        {
            return File.Exists(StatePath) ? JsonSerializer.Deserialize<DownloadState>(File.ReadAllText(StatePath)) : null;
        }
        catch (Exception error) when (error is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the resume state atomically (a crash leaves the old state or the new, never half of one).</summary>
    public void SaveState(DownloadState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var temporary = StatePath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(state, StateJson));
        File.Move(temporary, StatePath, overwrite: true);
    }

    /// <summary>Empties the partial file and forgets its state: the next bytes start the file.</summary>
    public void Reset()
    {
        Stream.SetLength(0);
        Stream.Position = 0;
        File.Delete(StatePath);
    }

    /// <summary>Closes and deletes the partial file and its state.</summary>
    public void Discard()
    {
        _closed = true;
        Stream.Dispose();
        File.Delete(PartialPath);
        File.Delete(StatePath);
    }

    /// <summary>Flushes the file to disk and renames it to its final name (replacing an older copy), then drops the state.</summary>
    public void Commit()
    {
        Stream.Flush(flushToDisk: true);
        _closed = true;
        Stream.Dispose();
        File.Move(PartialPath, FinalPath, overwrite: true);
        File.Delete(StatePath);
    }

    /// <summary>
    /// Closes the file; a partial file that never received a byte is deleted with its state, so a pull that could
    /// not even start (offline, refused) leaves nothing behind.
    /// </summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        var empty = Stream.Length == 0;
        Stream.Dispose();
        if (empty)
        {
            File.Delete(PartialPath);
            File.Delete(StatePath);
        }
    }
}

/// <summary>What a resumed download must match, saved beside the partial file.</summary>
/// <param name="Source">A hash of the URL the download started from.</param>
/// <param name="ETag">The validator of the response the bytes came from, as the server sent it (quotes included).</param>
/// <param name="LinkedETag">Hugging Face's <c>X-Linked-Etag</c> (the file's SHA-256 for LFS files), when given.</param>
/// <param name="Length">The whole file's length, when the server announced it.</param>
internal sealed record DownloadState(string Source, string? ETag, string? LinkedETag, long? Length);
