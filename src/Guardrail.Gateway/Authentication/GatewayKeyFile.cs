using System.Security.Cryptography;
using Guardrail.Gateway.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// <c>Guardrail:Auth:KeyFile</c>: keys that rotate without a restart. The file's directory is watched, not the file,
/// because a mounted Kubernetes Secret changes by swapping its <c>..data</c> link to a new directory: every event in
/// the directory (hidden names included) rereads the file, and content that hashes as before changes nothing. A valid
/// change replaces the key file's keys in <see cref="GatewayKeyStore"/> (removed keys keep their overlap); content
/// that is not valid is logged with every problem and the last good keys stay in force.
/// </summary>
internal sealed partial class GatewayKeyFile : IHostedService, IDisposable
{
    private readonly string _path;
    private readonly TimeSpan _overlap;
    private readonly GatewayKeyStore _store;
    private readonly ILogger<GatewayKeyFile> _logger;
    private readonly Lock _reloadGate = new();
    private PhysicalFileProvider? _directory;
    private IDisposable? _watch;
    private byte[] _loadedHash = [];

    public GatewayKeyFile(string path, TimeSpan overlap, GatewayKeyStore store, ILogger<GatewayKeyFile> logger)
    {
        _path = Path.GetFullPath(path);
        _overlap = overlap;
        _store = store;
        _logger = logger;
    }

    /// <summary>Reads the file's keys, or every problem with them (each naming its entry and field).</summary>
    public static KeyFileReadResult Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new KeyFileReadResult(null, [], [$"'{path}' cannot be read: {e.Message}"]);
        }

        var hash = SHA256.HashData(bytes);
        KeyFileContent content;
        try
        {
            using var stream = new MemoryStream(bytes);
            content = new ConfigurationBuilder().AddJsonStream(stream).Build()
                .Get<KeyFileContent>(static binder => binder.ErrorOnUnknownConfiguration = true) ?? new KeyFileContent();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or InvalidOperationException or System.Text.Json.JsonException)
        {
            return new KeyFileReadResult(null, hash, [$"'{path}' is not a key file ({{\"Keys\": [...], \"AdminKeys\": [...]}}): {e.Message}{(e.InnerException is { } inner ? " " + inner.Message : string.Empty)}"]);
        }

        var errors = new List<string>();
        GatewayConfigurationValidator.ValidateKeys(path, content.Keys, content.AdminKeys, errors);
        return new KeyFileReadResult(errors.Count == 0 ? content : null, hash, errors);
    }

    /// <summary>Reads the file now and installs its keys when they changed and are valid. Returns whether keys were swapped.</summary>
    public bool Reload()
    {
        lock (_reloadGate)
        {
            var read = Read(_path);
            if (read.Hash.Length > 0 && CryptographicOperations.FixedTimeEquals(read.Hash, _loadedHash))
            {
                return false;
            }

            if (read.Content is not { } content)
            {
                LogRejected(_logger, _path, string.Join(Environment.NewLine, read.Errors));
                return false;
            }

            var retiring = _store.ReplaceFileKeys(content.Keys, content.AdminKeys, _overlap);
            _loadedHash = read.Hash;
            LogReloaded(_logger, _path, content.Keys.Count, content.AdminKeys.Count, retiring);
            return true;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The composition root installed the keys it validated; this catches a change made since, and logs the set in force.
        Reload();
        var directory = Path.GetDirectoryName(_path)!;
        try
        {
            // ExclusionFilters.None: Kubernetes' '..data' link and an editor's temporary files are dot files.
            _directory = new PhysicalFileProvider(directory, ExclusionFilters.None);
            _watch = ChangeToken.OnChange(() => _directory.Watch("**/*"), () => Reload());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Inotify watches are per user and can run out; the keys loaded stay, but changes need a restart.
            LogWatchFailed(_logger, directory, e.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _directory?.Dispose();
        _watch = null;
        _directory = null;
    }

    [LoggerMessage(EventId = GatewayEventIds.KeyFileReloaded, Level = LogLevel.Information, Message = "Keys reloaded from {Path}: {Keys} client and {AdminKeys} admin keys; {Retiring} removed keys in their overlap")]
    private static partial void LogReloaded(ILogger logger, string path, int keys, int adminKeys, int retiring);

    [LoggerMessage(EventId = GatewayEventIds.KeyFileRejected, Level = LogLevel.Error, Message = "Key file change rejected ({Path}); the last good keys stay in force:\n{Errors}")]
    private static partial void LogRejected(ILogger logger, string path, string errors);

    [LoggerMessage(EventId = GatewayEventIds.KeyFileWatchFailed, Level = LogLevel.Error, Message = "Cannot watch {Directory} for key changes ({Reason}); keys change only with a restart")]
    private static partial void LogWatchFailed(ILogger logger, string directory, string reason);
}

/// <summary>What <c>Guardrail:Auth:KeyFile</c> holds: the same entries as <c>Guardrail:Auth:Keys</c> and <c>:AdminKeys</c>.</summary>
internal sealed class KeyFileContent
{
    public IList<GatewayKeyOptions> Keys { get; init; } = [];

    public IList<AdminKeyOptions> AdminKeys { get; init; } = [];
}

/// <summary>The keys read (null when there are errors), the content's hash (empty when unreadable) and every problem.</summary>
internal sealed record KeyFileReadResult(KeyFileContent? Content, byte[] Hash, IReadOnlyList<string> Errors);
