using Guardrail.Diagnostics;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Policies;

public sealed class PolicyStoreTests : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EventDeadline = TimeSpan.FromSeconds(10);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "guardrail-policy-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingObserver _observer = new();

    public PolicyStoreTests()
    {
        Directory.CreateDirectory(PoliciesDirectory);
        Directory.CreateDirectory(TaxonomyDirectory);
        File.Copy(TestFiles.ShippedTaxonomyPath, Path.Combine(TaxonomyDirectory, "llama-guard-3.yaml"));
        WritePolicy("default.yaml", DefaultPolicy(0.5));
        WritePolicy("strict.yaml", "id: strict\ntaxonomy: llama-guard-3\nthreshold: 0.3\n");
    }

    private string PoliciesDirectory => Path.Combine(_root, "policies");

    private string TaxonomyDirectory => Path.Combine(_root, "taxonomy");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void Constructor_InvalidFiles_ThrowsWithEveryError()
    {
        WritePolicy("strict.yaml", "id: strict\ntaxonomy: llama-guard-3\nthreshold: 2\nshadow: nobody\n");

        var exception = Assert.Throws<FileValidationException>(() => CreateStore(watch: false));

        Assert.Equal(["3:12", "4:9"], exception.Errors.Select(error => $"{error.Line}:{error.Column}"));
        Assert.All(exception.Errors, error => Assert.Equal(Path.Combine(PoliciesDirectory, "strict.yaml"), error.File));
    }

    [Fact]
    public async Task Watcher_ValidChange_SwapsOnceTheDebounceHasPassed()
    {
        using var store = CreateStore(watch: true);
        var changes = new List<PolicySnapshotChangedEventArgs>();
        store.Changed += (_, e) => changes.Add(e);
        var before = store.Current;
        var inFlight = before.Resolve("t", null, null);

        WritePolicy("default.yaml", DefaultPolicy(0.4));
        await WaitForWatcherEventAsync(store);
        _time.Advance(Debounce - TimeSpan.FromMilliseconds(1));
        Assert.Same(before, store.Current);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.NotSame(before, store.Current);
        Assert.Equal(0.4, store.Current.Default.Threshold);
        Assert.NotEqual(before.Version, store.Current.Version);
        Assert.Equal(0.5, inFlight.Threshold);
        Assert.Equal(0.5, before.Default.Threshold);
        var change = Assert.Single(changes);
        Assert.Same(before, change.Previous);
        Assert.Same(store.Current, change.Current);
        var result = Assert.Single(_observer.Results);
        Assert.Equal(PolicyReloadStatus.Swapped, result.Status);
        Assert.Equal(PolicyReloadTrigger.Watcher, result.Trigger);
        Assert.Equal(before.Version, result.PreviousVersion);
        Assert.Equal(new PolicyReloadCounters(Swapped: 1, Unchanged: 0, Rejected: 0), store.Counters);
    }

    [Fact]
    public async Task Watcher_RapidSuccessiveWrites_SwapOnceToTheLastContent()
    {
        using var store = CreateStore(watch: true);

        WritePolicy("default.yaml", DefaultPolicy(0.41));
        WritePolicy("default.yaml", DefaultPolicy(0.42));
        WritePolicy("default.yaml", DefaultPolicy(0.43));
        await WaitForWatcherEventAsync(store);
        _time.Advance(Debounce);

        Assert.Equal(0.43, store.Current.Default.Threshold);
        Assert.Equal(1, store.Counters.Swapped);
        Assert.Equal(0, store.Counters.Rejected);
    }

    [Fact]
    public void Poll_InvalidChange_KeepsLastGoodAndReportsErrorsOnce()
    {
        using var store = CreateStore(watch: false);
        var good = store.Current;

        WritePolicy("strict.yaml", "id: strict\ntaxonomy: llama-guard-3\nthreshold: 0\ncolour: red\n");
        _time.Advance(PollInterval);

        Assert.Same(good, store.Current);
        var rejected = Assert.Single(_observer.Results);
        Assert.Equal(PolicyReloadStatus.Rejected, rejected.Status);
        Assert.Equal(PolicyReloadTrigger.Poll, rejected.Trigger);
        Assert.Equal(good.Version, rejected.Version);
        Assert.NotNull(rejected.RejectedVersion);
        Assert.Equal(
            [$"{Path.Combine(PoliciesDirectory, "strict.yaml")}:3:12", $"{Path.Combine(PoliciesDirectory, "strict.yaml")}:4:1"],
            rejected.Errors.Select(error => $"{error.File}:{error.Line}:{error.Column}"));

        _time.Advance(PollInterval);

        Assert.Single(_observer.Results);
        Assert.Equal(new PolicyReloadCounters(Swapped: 0, Unchanged: 1, Rejected: 1), store.Counters);

        WritePolicy("strict.yaml", "id: strict\ntaxonomy: llama-guard-3\nthreshold: 0.2\n");
        _time.Advance(PollInterval);

        Assert.Equal(0.2, store.Current.Find("strict")!.Threshold);
        Assert.Equal(PolicyReloadStatus.Swapped, _observer.Results[^1].Status);
    }

    [Fact]
    public void Reload_SameContentRewritten_KeepsSnapshotAndVersion()
    {
        using var store = CreateStore(watch: false);
        var before = store.Current;
        var changed = 0;
        store.Changed += (_, _) => changed++;

        WritePolicy("default.yaml", DefaultPolicy(0.5));
        var result = store.Reload();

        Assert.Equal(PolicyReloadStatus.Unchanged, result.Status);
        Assert.Same(before, store.Current);
        Assert.Equal(before.Version, result.Version);
        Assert.Equal(0, changed);
        Assert.Empty(_observer.Results);
    }

    [Fact]
    public void Reload_TaxonomyChanged_SwapsAndChangesPolicyHashes()
    {
        using var store = CreateStore(watch: false);
        var before = store.Current;
        var taxonomyPath = Path.Combine(TaxonomyDirectory, "llama-guard-3.yaml");

        File.WriteAllText(taxonomyPath, File.ReadAllText(taxonomyPath).Replace("name: Elections", "name: Election Integrity", StringComparison.Ordinal));
        var result = store.Reload();

        Assert.Equal(PolicyReloadStatus.Swapped, result.Status);
        Assert.Equal("Election Integrity", store.Current.Default.FindCategory("S13")!.Category.Name);
        Assert.NotEqual(before.Default.ContentHash, store.Current.Default.ContentHash);
        Assert.Equal("Elections", before.Default.FindCategory("S13")!.Category.Name);
    }

    [Fact]
    public void Reload_DeletedFile_RemovesPolicyUnlessItIsNeeded()
    {
        using var store = CreateStore(watch: false);

        File.Delete(Path.Combine(PoliciesDirectory, "strict.yaml"));
        var removed = store.Reload();

        Assert.Equal(PolicyReloadStatus.Swapped, removed.Status);
        Assert.Null(store.Current.Find("strict"));

        var afterRemoval = store.Current;
        File.Delete(Path.Combine(PoliciesDirectory, "default.yaml"));
        var rejected = store.Reload();

        Assert.Equal(PolicyReloadStatus.Rejected, rejected.Status);
        Assert.Same(afterRemoval, store.Current);
        Assert.Contains(rejected.Errors, error => error.Message.StartsWith("no default policy", StringComparison.Ordinal));
    }

    [Fact]
    public void Reload_RequiredPolicyDeleted_Rejected()
    {
        using var store = new PolicyStore(Options(watch: false) with { Load = new PolicyLoadOptions { RequiredPolicyIds = ["strict"] } }, _time, _observer);

        File.Delete(Path.Combine(PoliciesDirectory, "strict.yaml"));
        var result = store.Reload();

        Assert.Equal(PolicyReloadStatus.Rejected, result.Status);
        Assert.Equal("strict", store.Current.Find("strict")!.Id);
    }

    [Fact]
    public void Reload_ManualAfterRejection_ValidatesAgain()
    {
        using var store = CreateStore(watch: false);
        WritePolicy("strict.yaml", "id: strict\ntaxonomy: nope\n");

        Assert.Equal(PolicyReloadStatus.Rejected, store.Reload().Status);
        Assert.Equal(PolicyReloadStatus.Rejected, store.Reload().Status);
        Assert.Equal(PolicyReloadStatus.Unchanged, store.Reload(PolicyReloadTrigger.Poll).Status);
        Assert.Equal(2, store.Counters.Rejected);
    }

    [Fact]
    public void Dispose_StopsPolling()
    {
        var store = CreateStore(watch: false);
        store.Dispose();

        WritePolicy("default.yaml", DefaultPolicy(0.6));
        _time.Advance(PollInterval * 2);

        Assert.Equal(0.5, store.Current.Default.Threshold);
        Assert.Throws<ObjectDisposedException>(() => store.Reload());
    }

    [Fact]
    public void Start_WatcherCannotStart_FallsBackToPollingAndSaysWhy()
    {
        using var store = new PolicyStore(Options(watch: true), _time, _observer);
        Directory.Delete(TaxonomyDirectory, recursive: true);

        store.Start();
        _time.Advance(PollInterval);

        Assert.NotNull(store.WatchError);
        var result = Assert.Single(_observer.Results);
        Assert.Equal(PolicyReloadStatus.Rejected, result.Status);
        Assert.Equal($"{TaxonomyDirectory}:0:0: directory not found", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void Constructor_BadOptions_ListsEveryProblem()
    {
        var options = Options(watch: false) with { Debounce = TimeSpan.FromMinutes(5), PollInterval = TimeSpan.FromSeconds(-1) };

        var exception = Assert.Throws<ArgumentException>(() => new PolicyStore(options, _time));

        Assert.Contains("Debounce must be from 0 to 1 minute", exception.Message, StringComparison.Ordinal);
        Assert.Contains("PollInterval must be from 0 (off) to 1 hour", exception.Message, StringComparison.Ordinal);
    }

    private static string DefaultPolicy(double threshold) =>
        $"id: default\ndefault: true\ntaxonomy: llama-guard-3\nthreshold: {threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n";

    private static async Task WaitForWatcherEventAsync(PolicyStore store)
    {
        var deadline = DateTime.UtcNow + EventDeadline;
        while (store.WatcherEvents == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "No file system event within the deadline.");
            await Task.Delay(10);
        }
    }

    private PolicyStoreOptions Options(bool watch) => new()
    {
        PoliciesDirectory = PoliciesDirectory,
        TaxonomyDirectory = TaxonomyDirectory,
        Debounce = Debounce,
        PollInterval = PollInterval,
        Watch = watch,
    };

    private PolicyStore CreateStore(bool watch)
    {
        var store = new PolicyStore(Options(watch), _time, _observer);
        store.Start();
        return store;
    }

    private void WritePolicy(string name, string yaml) => File.WriteAllText(Path.Combine(PoliciesDirectory, name), yaml);

    private sealed class RecordingObserver : IPolicyReloadObserver
    {
        private readonly Lock _gate = new();
        private readonly List<PolicyReloadResult> _results = [];

        public IReadOnlyList<PolicyReloadResult> Results
        {
            get
            {
                lock (_gate)
                {
                    return [.. _results];
                }
            }
        }

        public void OnReload(PolicyReloadResult result)
        {
            lock (_gate)
            {
                _results.Add(result);
            }
        }
    }
}
