namespace Guardrail.Cli.Models;

/// <summary>Why a pull did not produce a model.</summary>
internal enum DownloadFailureKind
{
    /// <summary>The server could not be reached at all.</summary>
    Unreachable,

    /// <summary>The server answered with an error that repeating the same command will not fix.</summary>
    Refused,

    /// <summary>The transfer broke off, or the server asked to come back later; the partial file is kept.</summary>
    Interrupted,

    /// <summary>The file arrived but failed its checksum or its GGUF checks; it was not kept.</summary>
    Rejected,
}

/// <summary>A pull that failed, with a message written for the person who ran it (never a token or a signed URL).</summary>
internal sealed class DownloadFailure : Exception
{
    public DownloadFailure(DownloadFailureKind kind, string message, Exception? innerException = null)
        : base(message, innerException) => Kind = kind;

    public DownloadFailure()
        : this(DownloadFailureKind.Refused, "The download failed.")
    {
    }

    public DownloadFailure(string message)
        : this(DownloadFailureKind.Refused, message)
    {
    }

    public DownloadFailure(string message, Exception innerException)
        : this(DownloadFailureKind.Refused, message, innerException)
    {
    }

    public DownloadFailureKind Kind { get; }

    public int ExitCode => Kind switch
    {
        DownloadFailureKind.Unreachable => ModelExitCodes.Unreachable,
        DownloadFailureKind.Interrupted => ModelExitCodes.TryAgain,
        _ => ModelExitCodes.Failed,
    };
}
