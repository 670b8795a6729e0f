using System.Globalization;

namespace Guardrail.Cli.Models;

/// <summary>
/// One <c>model pull</c>: skip a model that is already there, download into the partial file, verify (the SHA-256
/// when one is known, then the GGUF header), and only then give the file its final name. A file that fails
/// verification is deleted, never renamed into place. The model's path goes to standard output (one line per
/// model, for scripts); everything else goes to standard error.
/// </summary>
internal sealed class ModelPuller
{
    private readonly ModelDirectory _directory;
    private readonly ModelDownloader _downloader;
    private readonly ModelCommandEnvironment _environment;
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;

    public ModelPuller(ModelDirectory directory, ModelDownloader downloader, ModelCommandEnvironment environment, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(downloader);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        _directory = directory;
        _downloader = downloader;
        _environment = environment;
        _stdout = stdout;
        _stderr = stderr;
    }

    /// <summary>Pulls <paramref name="source"/>; returns the exit code (see <see cref="ModelExitCodes"/>).</summary>
    public async Task<int> PullAsync(ModelSource source, string? token, bool force, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var target = _directory.FilePath(source.FileName);
        if (File.Exists(target) && !force)
        {
            var existing = ModelFileVerifier.Describe(target);
            if (!existing.IsUsable)
            {
                _stderr.WriteLine($"error: {target} is already there but is not a usable model: {string.Join("; ", existing.Problems)}. Pull again with --force to replace it, or remove it with 'guardrail model rm {source.FileName}'.");
                return ModelExitCodes.Failed;
            }

            _stderr.WriteLine($"{source.FileName}: already in {_directory.Path} ({Summary(existing)}); --force downloads it again.");
            _stdout.WriteLine(target);
            return ModelExitCodes.Success;
        }

        if (token is not null && !TransportPolicy.SameOrigin(source.Url, source.TokenOrigin))
        {
            _stderr.WriteLine($"note: the Hugging Face token is not sent to {source.Url.Authority}; it goes to {source.TokenOrigin.Authority} only.");
        }

        try
        {
            using var partial = PartialDownload.Open(target);
            var terminal = _environment.ProgressIsTerminal ?? DownloadProgress.IsTerminal(_stderr);
            var progress = new DownloadProgress(_stderr, _environment.Time, source.FileName, terminal);
            var result = await _downloader.DownloadAsync(source, token, partial, progress, _stderr, cancellationToken);

            var expected = source.Sha256 ?? result.StatedSha256;
            if (expected is not null && !string.Equals(expected, result.Sha256, StringComparison.Ordinal))
            {
                partial.Discard();
                var from = source.Sha256 is null ? "as Hugging Face states it" : source.Entry is not null ? $"as the catalogue entry '{source.Entry.Name}' records it" : "as --sha256 gave it";
                throw new DownloadFailure(
                    DownloadFailureKind.Rejected,
                    $"{source.FileName} is not the file expected: its SHA-256 is {result.Sha256}, but {expected} was expected ({from}). The download was deleted; nothing was saved under {target}.");
            }

            var model = ModelFileVerifier.Describe(partial.Stream, source.FileName);
            if (!model.IsUsable)
            {
                partial.Discard();
                throw new DownloadFailure(
                    DownloadFailureKind.Rejected,
                    $"{source.FileName} was downloaded but refused: {string.Join("; ", model.Problems)}. The download was deleted; nothing was saved under {target}.");
            }

            partial.Commit();
            var verified = expected is null ? "no checksum to compare with (give --sha256 to check one)" : "checksum verified";
            _stderr.WriteLine($"{source.FileName}: pulled ({Summary(model)}); sha256 {result.Sha256}, {verified}.");
            _stdout.WriteLine(target);
            return ModelExitCodes.Success;
        }
        catch (DownloadFailure failure) when (failure.Kind == DownloadFailureKind.Unreachable)
        {
            _stderr.WriteLine(Offline(source, failure.Message));
            return failure.ExitCode;
        }
        catch (DownloadFailure failure)
        {
            _stderr.WriteLine($"error: {failure.Message}");
            return failure.ExitCode;
        }
    }

    /// <summary>One line about a model: size, architecture, parameters, quantization.</summary>
    public static string Summary(ModelFileDescription model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var label = model.SizeLabel is null ? string.Empty : $" ({model.SizeLabel})";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{ModelFileDescription.FormatBytes(model.FileSize)}, {model.Architecture} {model.ParameterText}{label} parameters, {model.Quantization ?? "unknown quantization"}");
    }

    private string Offline(ModelSource source, string reason)
    {
        var where = source.HuggingFace is { } hf ? hf.PageUrl(source.HuggingFaceEndpoint).ToString() : ModelSource.DisplayUrl(source.Url);
        return $"error: Could not reach {source.Url.Authority}: {reason}. This machine seems to be offline, or it reaches the internet only through a proxy (set HTTPS_PROXY, which is honoured). "
            + $"Nothing is lost: whatever was downloaded stays in {_directory.Path} as a .partial file, and the next pull resumes it. "
            + $"Without access: download {source.FileName} on a machine that has it ({where}) and copy it to {Path.Combine(_directory.Path, source.FileName)}, "
            + "or point the gateway at a GGUF file you already have (Guardrail:Classifier:ModelPath for Llama Guard, Guardrail:LocalBackend:ModelPath for the generation model).";
    }
}
