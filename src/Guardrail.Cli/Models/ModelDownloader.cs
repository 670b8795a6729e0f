using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;

namespace Guardrail.Cli.Models;

/// <summary>
/// Fetches one file over HTTP into a <see cref="PartialDownload"/>, resuming what an earlier run left with a
/// <c>Range</c> request. Redirects are followed here rather than by the handler, so that the Hugging Face token goes
/// only to the Hugging Face endpoint's origin and is dropped for good once a redirect leaves it (huggingface.co sends
/// downloads on to a CDN with a signed URL, which must never see the token). The bytes are hashed as they arrive,
/// the resumed prefix included, so the SHA-256 always covers the whole file.
/// </summary>
/// <remarks>
/// What a resumed request can meet: 206 with a range starting where the file ends and the same validator (continue);
/// 200 (the server ignores ranges, or <c>If-Range</c> found the file changed: start over with these bytes); 206 whose
/// ETag, length or start differ from the saved state (start over); 416 (the file was already whole: verify it, or
/// start over if the length does not match).
/// </remarks>
internal sealed class ModelDownloader
{
    public const string LinkedETagHeader = "X-Linked-Etag";
    public const string ErrorCodeHeader = "X-Error-Code";
    public const string ErrorMessageHeader = "X-Error-Message";

    private static readonly ProductInfoHeaderValue UserAgent = new(
        "guardrail",
        typeof(ModelDownloader).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private readonly HttpClient _http;
    private readonly ModelDownloadOptions _options;
    private readonly TimeProvider _time;

    public ModelDownloader(HttpClient http, ModelDownloadOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _http = http;
        _options = options;
        _time = time;
    }

    /// <summary>The handler a real pull uses: no automatic redirects (see the class remarks), no decompression (ranges count raw bytes).</summary>
    public static HttpMessageHandler CreateDefaultHandler(ModelDownloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
    }

    /// <summary>Downloads <paramref name="source"/> into <paramref name="partial"/> until the file is whole.</summary>
    /// <param name="source">What to fetch.</param>
    /// <param name="token">The Hugging Face token, or null; sent only to <see cref="ModelSource.TokenOrigin"/>.</param>
    /// <param name="partial">The partial file, possibly holding the start of the file from an earlier run.</param>
    /// <param name="progress">Told about the transfer as it goes.</param>
    /// <param name="notes">Where decisions worth knowing (starting over, and why) are written.</param>
    /// <param name="cancellationToken">The user's cancellation (Ctrl+C); the partial file is kept.</param>
    /// <exception cref="DownloadFailure">The file could not be fetched; its kind says whether running again can help.</exception>
    public async Task<DownloadResult> DownloadAsync(
        ModelSource source,
        string? token,
        PartialDownload partial,
        DownloadProgress progress,
        TextWriter notes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(partial);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(notes);

        var key = PartialDownload.SourceKey(source.Url);
        var state = partial.LoadState();
        var offset = partial.Stream.Length;
        if (offset > 0 && (state is null || !string.Equals(state.Source, key, StringComparison.Ordinal) || offset > state.Length))
        {
            notes.WriteLine($"note: {Path.GetFileName(partial.PartialPath)} is not a resumable start of {source.Description}; starting over.");
            partial.Reset();
            offset = 0;
        }

        if (offset == 0)
        {
            state = null;
        }

        using var deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        for (var attempt = 0; ; attempt++)
        {
            using var exchange = await SendAsync(source, token, state, offset, deadline, linked.Token, cancellationToken);
            var response = exchange.Response;
            string? restart = null;
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK when offset > 0:
                    notes.WriteLine($"note: the server sent the whole file instead of the rest of it (it ignores ranges, or the file changed); starting over.");
                    partial.Reset();
                    offset = 0;
                    break;
                case HttpStatusCode.OK:
                    break;
                case HttpStatusCode.PartialContent:
                    restart = RangeMismatch(response, exchange.LinkedETag, state, offset);
                    break;
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    if (response.Content.Headers.ContentRange?.Length == offset && state?.Length == offset)
                    {
                        // An earlier run had every byte but stopped before the checks: the file only needs them now.
                        return await HashExistingAsync(partial, offset, state.LinkedETag, linked.Token);
                    }

                    restart = "the server cannot continue from where the partial file ends (416)";
                    break;
                default:
                    throw Refusal(response, exchange, source);
            }

            if (restart is not null)
            {
                if (attempt > 0)
                {
                    throw new DownloadFailure(DownloadFailureKind.Refused, $"{ModelSource.DisplayUrl(exchange.Url)} answered a fresh download with a partial range ({restart}); it cannot be downloaded reliably.");
                }

                notes.WriteLine($"note: {restart}; starting over.");
                partial.Reset();
                offset = 0;
                state = null;
                continue;
            }

            var total = response.StatusCode == HttpStatusCode.PartialContent
                ? response.Content.Headers.ContentRange!.Length
                : response.Content.Headers.ContentLength;
            var stated = StatedSha256(exchange.LinkedETag);
            if (source.Sha256 is not null && stated is not null && !string.Equals(source.Sha256, stated, StringComparison.Ordinal))
            {
                throw new DownloadFailure(
                    DownloadFailureKind.Refused,
                    $"Hugging Face states that {source.Description} has SHA-256 {stated}, not the expected {source.Sha256}: the file at this revision is not the one expected. Nothing was downloaded.");
            }

            partial.SaveState(new DownloadState(key, response.Headers.ETag?.ToString(), exchange.LinkedETag, total));
            return await CopyBodyAsync(response, partial, offset, total, stated, progress, deadline, linked.Token, cancellationToken);
        }
    }

    private async Task<Exchange> SendAsync(
        ModelSource source,
        string? token,
        DownloadState? state,
        long offset,
        CancellationTokenSource deadline,
        CancellationToken linked,
        CancellationToken user)
    {
        var url = source.Url;
        var mayCarryToken = token is not null;
        string? linkedETag = null;
        for (var hop = 0; hop <= _options.MaxRedirects; hop++)
        {
            // Once a redirect has left the token's origin, nothing further along the chain gets the token.
            mayCarryToken &= TransportPolicy.SameOrigin(url, source.TokenOrigin);
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.UserAgent.Add(UserAgent);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (offset > 0)
            {
                request.Headers.Range = new RangeHeaderValue(offset, null);
                if (state?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var tag) && !tag.IsWeak)
                {
                    request.Headers.IfRange = new RangeConditionHeaderValue(tag);
                }
            }

            if (mayCarryToken)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            HttpResponseMessage response;
            deadline.CancelAfter(_options.ResponseTimeout);
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked);
            }
            catch (OperationCanceledException) when (!user.IsCancellationRequested)
            {
                throw new DownloadFailure(
                    DownloadFailureKind.Unreachable,
                    string.Create(CultureInfo.InvariantCulture, $"{url.Authority} did not answer within {_options.ResponseTimeout.TotalSeconds:0} s"));
            }
            catch (HttpRequestException error)
            {
                throw new DownloadFailure(DownloadFailureKind.Unreachable, DescribeConnectionError(url, error), error);
            }
            finally
            {
                deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            }

            if (linkedETag is null && response.Headers.TryGetValues(LinkedETagHeader, out var values))
            {
                linkedETag = values.FirstOrDefault();
            }

            if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                var next = new Uri(url, location);
                response.Dispose();
                if (!TransportPolicy.IsAllowed(next))
                {
                    throw new DownloadFailure(DownloadFailureKind.Refused, $"{url.Authority} redirected to plain http ({ModelSource.DisplayUrl(next)}); models are fetched over https only, so the download was refused.");
                }

                url = next;
                continue;
            }

            return new Exchange(response, url, linkedETag, mayCarryToken);
        }

        throw new DownloadFailure(
            DownloadFailureKind.Refused,
            string.Create(CultureInfo.InvariantCulture, $"{source.Description} redirected more than {_options.MaxRedirects} times; giving up."));
    }

    private async Task<DownloadResult> CopyBodyAsync(
        HttpResponseMessage response,
        PartialDownload partial,
        long offset,
        long? total,
        string? stated,
        DownloadProgress progress,
        CancellationTokenSource deadline,
        CancellationToken linked,
        CancellationToken user)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await HashPrefixAsync(partial.Stream, offset, hash, linked);
        partial.Stream.Position = offset;

        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        var received = offset;
        progress.Start(total, offset);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(linked);
            while (true)
            {
                int read;
                deadline.CancelAfter(_options.IdleTimeout);
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(0, _options.BufferSize), linked);
                }
                catch (OperationCanceledException) when (!user.IsCancellationRequested)
                {
                    throw Interrupted(string.Create(CultureInfo.InvariantCulture, $"no data arrived for {_options.IdleTimeout.TotalSeconds:0} s"), received, total);
                }
                catch (Exception error) when (error is IOException or HttpRequestException)
                {
                    throw Interrupted($"the connection broke off ({error.Message})", received, total, error);
                }

                if (read == 0)
                {
                    break;
                }

                try
                {
                    await partial.Stream.WriteAsync(buffer.AsMemory(0, read), user);
                }
                catch (IOException error)
                {
                    throw new DownloadFailure(DownloadFailureKind.Refused, $"Cannot write {partial.PartialPath}: {error.Message} (is the disk full?). The partial file is kept.", error);
                }

                hash.AppendData(buffer, 0, read);
                received += read;
                progress.Report(received);
                if (received > total)
                {
                    throw new DownloadFailure(DownloadFailureKind.Refused, string.Create(CultureInfo.InvariantCulture, $"The server sent more than the {total:N0} bytes it announced."));
                }
            }
        }
        finally
        {
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            ArrayPool<byte>.Shared.Return(buffer);
            progress.Finish(received);
            await partial.Stream.FlushAsync(CancellationToken.None);
        }

        if (received != total && total is not null)
        {
            throw Interrupted("the server ended the transfer early", received, total);
        }

        return new DownloadResult(Convert.ToHexStringLower(hash.GetHashAndReset()), received, stated);
    }

    private async Task<DownloadResult> HashExistingAsync(PartialDownload partial, long length, string? linkedETag, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await HashPrefixAsync(partial.Stream, length, hash, cancellationToken);
        return new DownloadResult(Convert.ToHexStringLower(hash.GetHashAndReset()), length, StatedSha256(linkedETag));
    }

    private async Task HashPrefixAsync(FileStream stream, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        stream.Position = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        try
        {
            var left = length;
            while (left > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(left, _options.BufferSize)), cancellationToken);
                if (read == 0)
                {
                    throw new IOException($"{stream.Name} is shorter than the {length} bytes expected.");
                }

                hash.AppendData(buffer, 0, read);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Why a 206 answer does not continue the partial file, or null when it does.</summary>
    private static string? RangeMismatch(HttpResponseMessage response, string? linkedETag, DownloadState? state, long offset)
    {
        var range = response.Content.Headers.ContentRange;
        if (range is not { HasRange: true, From: not null })
        {
            return "the server answered 206 without a usable Content-Range";
        }

        if (range.From != offset)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the server sent bytes from {range.From} where the partial file ends at {offset}");
        }

        if (state?.Length is { } length && range.Length is { } now && now != length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the file's size changed since the last run ({length:N0} bytes, now {now:N0})");
        }

        var etag = response.Headers.ETag?.ToString();
        if (state?.ETag is { } before && etag is not null && !string.Equals(before, etag, StringComparison.Ordinal))
        {
            return $"the file changed since the last run (ETag {before}, now {etag})";
        }

        if (state?.LinkedETag is { } linkedBefore && linkedETag is not null && !string.Equals(linkedBefore, linkedETag, StringComparison.Ordinal))
        {
            return "the file changed since the last run (Hugging Face names another version of it)";
        }

        return null;
    }

    /// <summary>Hugging Face's <c>X-Linked-Etag</c> is the SHA-256 of an LFS file (quoted); anything else is not a checksum.</summary>
    private static string? StatedSha256(string? linkedETag)
    {
        var value = linkedETag?.Trim().Trim('"').ToLowerInvariant();
        return value is { Length: 64 } && value.All(char.IsAsciiHexDigit) ? value : null;
    }

    private static DownloadFailure Interrupted(string why, long received, long? total, Exception? inner = null)
    {
        var progress = total is { } t
            ? string.Create(CultureInfo.InvariantCulture, $"{received:N0} of {t:N0} bytes")
            : string.Create(CultureInfo.InvariantCulture, $"{received:N0} bytes");
        return new DownloadFailure(
            DownloadFailureKind.Interrupted,
            $"The download stopped after {progress}: {why}. The partial file is kept; run the same command again to resume.",
            inner);
    }

    private static string DescribeConnectionError(Uri url, HttpRequestException error)
    {
        var detail = error.InnerException?.Message ?? error.Message;
        return error.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => $"the name {url.IdnHost} could not be resolved ({detail})",
            HttpRequestError.ConnectionError => $"no connection to {url.Authority} could be made ({detail})",
            HttpRequestError.SecureConnectionError => $"the TLS handshake with {url.Authority} failed ({detail}); a proxy that intercepts HTTPS, or a clock far off, causes this",
            HttpRequestError.ProxyTunnelError => $"the HTTPS proxy refused to connect to {url.Authority} ({detail})",
            _ => $"{url.Authority} could not be reached ({detail})",
        };
    }

    private static DownloadFailure Refusal(HttpResponseMessage response, Exchange exchange, ModelSource source)
    {
        var status = (int)response.StatusCode;
        var answered = string.Create(CultureInfo.InvariantCulture, $"{exchange.Url.Authority} answered {status} {response.ReasonPhrase}");
        var code = Header(response, ErrorCodeHeader);
        var hf = source.HuggingFace;
        var fromEndpoint = TransportPolicy.SameOrigin(exchange.Url, source.HuggingFaceEndpoint);
        if (status is 429 or >= 500)
        {
            return new DownloadFailure(DownloadFailureKind.Interrupted, $"{answered} for {source.Description}: the server is busy or failing. Try again later; any partial file is kept.");
        }

        if (hf is not null && fromEndpoint && status is 401 or 403 or 404)
        {
            var page = hf.PageUrl(source.HuggingFaceEndpoint);
            var tokens = new Uri(source.HuggingFaceEndpoint, "/settings/tokens");
            var message = (status, code) switch
            {
                (_, "RepoNotFound") => $"{answered} (repository not found) for {hf}: the repository {hf.Repository} does not exist, or it is private and {(exchange.TokenSent ? "this token cannot see it" : "needs a token")}. Check the owner and name (they are case-sensitive) at {page}.",
                (_, "RevisionNotFound") => $"{answered} (revision not found): {hf.Repository} has no branch, tag or commit '{hf.Revision}'. Check --revision (the default is main).",
                (_, "EntryNotFound") => $"{answered} (file not found): {hf.Repository} has no file '{hf.FilePath}' at revision {hf.Revision}. Check the file name (it is case-sensitive) in the Files tab of {page}.",
                (401, not "GatedRepo") when exchange.TokenSent => $"{answered}: the Hugging Face token was refused (invalid or expired). Create a read token at {tokens} and set HF_TOKEN (or pass --token).",
                (401 or 403, _) when exchange.TokenSent => $"{answered} for {hf}: the repository is gated and this token's account has not been granted access yet. Open {page}, accept the licence there (approval can take a while), and use a read token of the account that accepted it.",
                (_, "GatedRepo") or (403, _) => $"{answered} for {hf}: the repository is gated. Open {page}, accept the licence there, create a read token at {tokens} and set HF_TOKEN (or pass --token).",
                (401, _) => $"{answered} for {hf}: the repository is gated or private and needs a token, or it does not exist (Hugging Face answers 401 for both without a token). If it is gated, open {page}, accept the licence, create a read token at {tokens} and set HF_TOKEN (or pass --token). Otherwise check the spelling of owner, repository and file (they are case-sensitive).",
                _ => $"{answered} for {hf}: is owner/repository/file/revision spelled right? They are case-sensitive; the files are listed at {page}/tree/{Uri.EscapeDataString(hf.Revision)}.",
            };
            return new DownloadFailure(DownloadFailureKind.Refused, message);
        }

        if (status == 403 && hf is not null && !fromEndpoint)
        {
            return new DownloadFailure(DownloadFailureKind.Interrupted, $"{answered}: the signed download link Hugging Face redirected to was refused; such links expire. Run the same command again.");
        }

        return new DownloadFailure(DownloadFailureKind.Refused, status switch
        {
            401 or 403 => $"{answered} for {source.Description}: the server wants credentials this command does not send (only Hugging Face tokens are supported, and only to the Hugging Face endpoint).",
            404 => $"{answered} for {source.Description}: check the URL.",
            _ => $"{answered} for {source.Description}.",
        });
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>The response that ended a redirect chain, with what was learned on the way.</summary>
    private sealed record Exchange(HttpResponseMessage Response, Uri Url, string? LinkedETag, bool TokenSent) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }
}

/// <summary>A whole file in the partial download.</summary>
/// <param name="Sha256">Its SHA-256, lowercase hex.</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="StatedSha256">The SHA-256 Hugging Face states for it (<c>X-Linked-Etag</c>), when it did.</param>
internal sealed record DownloadResult(string Sha256, long Length, string? StatedSha256);
