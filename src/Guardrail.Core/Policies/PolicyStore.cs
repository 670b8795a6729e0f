using Guardrail.Diagnostics;

namespace Guardrail.Policies;

/// <summary>
/// Holds the current <see cref="PolicySnapshot"/> and replaces it when the files change. A change is noticed by
/// file system watchers (debounced) and, because watchers miss events on some file systems and with some
/// editors, by a periodic poll that hashes the files. A valid change swaps the snapshot atomically; requests
/// that already took <see cref="Current"/> keep theirs. An invalid change is rejected, reported and counted, and
/// the last good snapshot stays.
/// </summary>
public sealed class PolicyStore : IDisposable
{
    private readonly PolicyStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly IPolicyReloadObserver? _observer;
    private readonly Lock _reloadGate = new();
    private readonly Lock _lifecycleGate = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private PolicySnapshot _current;
    private ITimer? _debounceTimer;
    private ITimer? _pollTimer;
    private string? _lastRejectedVersion;
    private IReadOnlyList<FileDiagnostic> _lastRejectedErrors = [];
    private long _swapped;
    private long _unchanged;
    private long _rejected;
    private long _watcherEvents;
    private bool _started;
    private bool _disposed;

    /// <summary>Loads the files once; start-up fails here when they are not valid.</summary>
    /// <exception cref="ArgumentException">The options are not usable.</exception>
    /// <exception cref="FileValidationException">The files are not valid; lists every error.</exception>
    public PolicyStore(PolicyStoreOptions options, TimeProvider timeProvider, IPolicyReloadObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ArgumentException("Invalid policy store options: " + string.Join("; ", problems), nameof(options));
        }

        _options = options;
        _timeProvider = timeProvider;
        _observer = observer;
        _current = PolicyLoader.LoadDirectories(options.PoliciesDirectory, options.TaxonomyDirectory, options.Load).GetValueOrThrow();
    }

    /// <summary>
    /// Raised after a swap, on the thread that reloaded (a timer thread for watcher and poll reloads; handlers must
    /// not throw); engines drop what they cached for the previous snapshot.
    /// </summary>
    public event EventHandler<PolicySnapshotChangedEventArgs>? Changed;

    /// <summary>The snapshot in force. Take it once per request and use that object throughout.</summary>
    public PolicySnapshot Current => Volatile.Read(ref _current);

    /// <summary>Reload counts since the store was created.</summary>
    public PolicyReloadCounters Counters => new(Interlocked.Read(ref _swapped), Interlocked.Read(ref _unchanged), Interlocked.Read(ref _rejected));

    /// <summary>Why file system watching could not start (changes are then noticed by polling only); null when it runs or is off.</summary>
    public string? WatchError { get; private set; }

    /// <summary>File system events seen (tests wait on it; a reader can tell whether watching works at all).</summary>
    internal long WatcherEvents => Interlocked.Read(ref _watcherEvents);

    /// <summary>Starts watching and polling. Calling it again does nothing.</summary>
    public void Start()
    {
        lock (_lifecycleGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
            _debounceTimer = _timeProvider.CreateTimer(static state => ((PolicyStore)state!).OnTimer(PolicyReloadTrigger.Watcher), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (_options.Watch)
            {
                StartWatching();
            }

            if (_options.PollInterval > TimeSpan.Zero)
            {
                _pollTimer = _timeProvider.CreateTimer(static state => ((PolicyStore)state!).OnTimer(PolicyReloadTrigger.Poll), this, _options.PollInterval, _options.PollInterval);
            }
        }
    }

    /// <summary>
    /// Reads the files now and swaps the snapshot when they are new and valid. Files that hash to the loaded
    /// version, or to the set last rejected, are not validated again (a manual reload always is).
    /// </summary>
    public PolicyReloadResult Reload(PolicyReloadTrigger trigger = PolicyReloadTrigger.Manual)
    {
        PolicyReloadResult result;
        PolicySnapshot? previous = null;
        PolicySnapshot? installed = null;
        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var current = _current;
            var errors = new DiagnosticList();
            var policies = PolicyLoader.ReadDirectory(_options.PoliciesDirectory, errors);
            var taxonomies = PolicyLoader.ReadDirectory(_options.TaxonomyDirectory, errors);
            if (errors.Count > 0)
            {
                result = Rejected(trigger, current, null, errors.Items);
            }
            else
            {
                var version = PolicyVersion.HashSet(policies, taxonomies);
                if (string.Equals(version, current.Version, StringComparison.Ordinal)
                    || (trigger != PolicyReloadTrigger.Manual && string.Equals(version, _lastRejectedVersion, StringComparison.Ordinal)))
                {
                    Interlocked.Increment(ref _unchanged);
                    var stillRejected = string.Equals(version, _lastRejectedVersion, StringComparison.Ordinal);
                    return new PolicyReloadResult
                    {
                        Status = PolicyReloadStatus.Unchanged,
                        Trigger = trigger,
                        Version = current.Version,
                        PreviousVersion = current.Version,
                        RejectedVersion = stillRejected ? version : null,
                        Errors = stillRejected ? _lastRejectedErrors : [],
                        Timestamp = _timeProvider.GetUtcNow(),
                    };
                }

                var loaded = PolicyLoader.Load(policies, taxonomies, _options.Load);
                if (loaded.Succeeded)
                {
                    previous = current;
                    installed = loaded.Value!;
                    Volatile.Write(ref _current, installed);
                    _lastRejectedVersion = null;
                    _lastRejectedErrors = [];
                    Interlocked.Increment(ref _swapped);
                    result = new PolicyReloadResult
                    {
                        Status = PolicyReloadStatus.Swapped,
                        Trigger = trigger,
                        Version = loaded.Value!.Version,
                        PreviousVersion = current.Version,
                        Timestamp = _timeProvider.GetUtcNow(),
                    };
                }
                else
                {
                    result = Rejected(trigger, current, version, loaded.Errors);
                }
            }
        }

        // Outside the lock: a slow observer or handler must not hold up the next reload's bookkeeping.
        _observer?.OnReload(result);
        if (previous is not null && installed is not null)
        {
            Changed?.Invoke(this, new PolicySnapshotChangedEventArgs(previous, installed));
        }

        return result;
    }

    /// <summary>Stops watching and polling.</summary>
    public void Dispose()
    {
        lock (_lifecycleGate)
        {
            lock (_reloadGate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }

            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
            _debounceTimer?.Dispose();
            _pollTimer?.Dispose();
        }
    }

    private PolicyReloadResult Rejected(PolicyReloadTrigger trigger, PolicySnapshot current, string? version, IReadOnlyList<FileDiagnostic> errors)
    {
        // A set that could not even be read is not remembered: the next event or poll must try again.
        _lastRejectedVersion = version;
        _lastRejectedErrors = errors;
        Interlocked.Increment(ref _rejected);
        return new PolicyReloadResult
        {
            Status = PolicyReloadStatus.Rejected,
            Trigger = trigger,
            Version = current.Version,
            PreviousVersion = current.Version,
            RejectedVersion = version,
            Errors = errors,
            Timestamp = _timeProvider.GetUtcNow(),
        };
    }

    private void StartWatching()
    {
        try
        {
            _watchers.Add(CreateWatcher(_options.PoliciesDirectory));
            if (!string.Equals(Path.GetFullPath(_options.PoliciesDirectory), Path.GetFullPath(_options.TaxonomyDirectory), StringComparison.Ordinal))
            {
                _watchers.Add(CreateWatcher(_options.TaxonomyDirectory));
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException && _options.PollInterval > TimeSpan.Zero)
        {
            // Watchers can run out (Linux inotify limits are per user and shared by every process) or be
            // unsupported on the mount; polling still notices every change, only later.
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
            WatchError = exception.Message;
        }
    }

    private FileSystemWatcher CreateWatcher(string directory)
    {
        // Every event counts, not only *.yaml: Kubernetes swaps a mounted ConfigMap by renaming a hidden
        // '..data' link, and editors save through temporary files. A spurious reload costs one hash.
        var watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += OnFileEvent;
        watcher.Created += OnFileEvent;
        watcher.Deleted += OnFileEvent;
        watcher.Renamed += OnFileEvent;
        watcher.Error += OnWatcherError;
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) => ScheduleReload();

    // An overflowing event buffer means events were lost: reload to be sure.
    private void OnWatcherError(object sender, ErrorEventArgs e) => ScheduleReload();

    private void ScheduleReload()
    {
        lock (_lifecycleGate)
        {
            // Re-arming on every event is the debounce: the reload runs once the files have been quiet for the whole delay.
            if (!_disposed)
            {
                _debounceTimer?.Change(_options.Debounce, Timeout.InfiniteTimeSpan);
            }
        }

        // Counted once the timer is armed, so that whoever sees the count can rely on the debounce having started.
        Interlocked.Increment(ref _watcherEvents);
    }

    private void OnTimer(PolicyReloadTrigger trigger)
    {
        if (Volatile.Read(ref _disposed))
        {
            return;
        }

        try
        {
            Reload(trigger);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the reload: nothing left to reload for.
        }
    }
}
