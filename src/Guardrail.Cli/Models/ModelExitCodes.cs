namespace Guardrail.Cli.Models;

/// <summary>
/// Exit codes of the model commands, for scripts (<c>scripts/run.sh</c> tells an offline machine from a refused
/// download by them). The non-trivial ones follow sysexits.h, as the gateway's 78 (configuration) does.
/// </summary>
internal static class ModelExitCodes
{
    public const int Success = 0;

    /// <summary>The server refused (401, 403, 404...), or the file failed verification and was not kept.</summary>
    public const int Failed = 1;

    /// <summary><c>model path</c>: the model is not in the models directory (its path is still printed).</summary>
    public const int NotPresent = 1;

    /// <summary>The arguments cannot work (unknown name, bad checksum format, a path outside the models directory).</summary>
    public const int Usage = 2;

    /// <summary>EX_UNAVAILABLE: the server could not be reached (offline, DNS, connection refused, TLS, no answer).</summary>
    public const int Unreachable = 69;

    /// <summary>EX_TEMPFAIL: the transfer broke off or the server is busy; the partial file is kept and the same command resumes it.</summary>
    public const int TryAgain = 75;

    /// <summary>Interrupted by the user (Ctrl+C); the partial file is kept.</summary>
    public const int Cancelled = 130;
}
