using System.Diagnostics.Metrics;
using System.Reflection;
using Guardrail.Audit.Labelling;
using Guardrail.Audit.Querying;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Audit.Tests;

/// <summary>The contract every audit store engine keeps, run against each (<see cref="SqliteAuditStoreTests"/>,
/// <see cref="PostgresAuditStoreTests"/>) on a real database: round trips, filters, search, paging, stats, labels,
/// exports, retention. Every test starts from an empty database of its own.</summary>
public abstract partial class AuditStoreContract : IAsyncLifetime
{
    /// <summary>Where the test's database is: a path or a connection string, with nothing else set.</summary>
    protected abstract AuditStoreOptions DatabaseOptions { get; }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The test's database with test-friendly defaults (full content retention, no background purge).</summary>
    protected AuditStoreOptions TestOptions(Func<AuditStoreOptions, AuditStoreOptions>? configure = null)
    {
        var options = DatabaseOptions with { ContentRetention = ContentRetention.Full, PurgeInterval = TimeSpan.Zero };
        return configure is null ? options : configure(options);
    }

    /// <summary>Opens the test's database (again, when called twice: the second store reads what the first wrote).</summary>
    protected Task<AuditStore> OpenStoreAsync(Func<AuditStoreOptions, AuditStoreOptions>? configure = null, TimeProvider? timeProvider = null) =>
        AuditStore.OpenAsync(TestOptions(configure), timeProvider);

    [Fact]
    public async Task WriteAsync_EveryField_RoundTrips()
    {
        var written = AuditRecords.Full();
        AuditRecord? read;
        await using (var store = await OpenStoreAsync())
        {
            await store.WriteAsync(written, AuditDurability.Full, CancellationToken.None);
        }

        // Reopen so the record comes from the database, not from anything cached in the writer.
        await using (var store = await OpenStoreAsync())
        {
            read = await store.GetAsync(written.Id, CancellationToken.None);
        }

        Assert.NotNull(read);
        foreach (var property in typeof(AuditRecord).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var expected = property.GetValue(written);
            var actual = property.GetValue(read);
            if (property.Name == nameof(AuditRecord.ContentHash))
            {
                Assert.Null(expected);
                Assert.Equal(Guardrail.Audit.Retention.ContentRetentionApplier.Hash(written.Content!), actual);
            }
            else if (expected is IReadOnlyList<string> list)
            {
                Assert.Equal(list, Assert.IsAssignableFrom<IReadOnlyList<string>>(actual));
            }
            else
            {
                Assert.True(Equals(expected, actual), $"{property.Name}: wrote {expected}, read {actual}");
            }
        }
    }

    [Fact]
    public void FullSample_EveryField_IsSetSoTheRoundTripChecksIt()
    {
        var sample = AuditRecords.Full();
        foreach (var property in typeof(AuditRecord).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // A refusal belongs only to a record that was never checked: Refused() carries it (see its round trip).
            if (property.Name is nameof(AuditRecord.ContentHash) or nameof(AuditRecord.Refusal))
            {
                continue;
            }

            var value = property.GetValue(sample);
            Assert.NotNull(value);
            Assert.False(value is IReadOnlyList<string> { Count: 0 }, property.Name);
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (type.IsValueType)
            {
                Assert.False(Equals(value, Activator.CreateInstance(type)), $"{property.Name} holds its default");
            }
        }
    }

    [Fact]
    public async Task WriteAsync_RefusedBeforeAnyCheck_RoundTripsWithoutModelPolicyOrContent()
    {
        var written = AuditRecords.Refused(kind: "tokens");
        await using (var store = await OpenStoreAsync())
        {
            await store.WriteAsync(written, AuditDurability.Full, CancellationToken.None);
        }

        await using var reopened = await OpenStoreAsync();
        var read = await reopened.GetAsync(written.Id, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(GuardOutcome.NotChecked, read.Verdict);
        Assert.Equal(ModerationAction.Block, read.Action);
        Assert.Equal("rate_limit:tokens", read.Refusal);
        Assert.Equal("", read.Model);
        Assert.Equal("", read.PolicyId);
        Assert.Null(read.Content);
        Assert.Equal(written.TraceId, read.TraceId);
    }

    [Theory]
    [InlineData("refusal without not_checked")]
    [InlineData("not_checked without refusal")]
    [InlineData("bad trace id")]
    [InlineData("checked record without model")]
    public async Task WriteAsync_InconsistentNewFields_AreRefusedWithTheProblem(string problem)
    {
        var record = problem switch
        {
            "refusal without not_checked" => AuditRecords.Simple() with { Refusal = "rate_limit:requests" },
            "not_checked without refusal" => AuditRecords.Refused() with { Refusal = null },
            "bad trace id" => AuditRecords.Simple() with { TraceId = "not-a-trace" },
            _ => AuditRecords.Simple() with { Model = "" },
        };
        await using var store = await OpenStoreAsync();

        var error = await Assert.ThrowsAsync<AuditValidationException>(async () => await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None));

        Assert.Contains(problem switch
        {
            "bad trace id" => "trace id",
            "checked record without model" => "model is required",
            _ => "not_checked",
        }, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_ByTraceIdEndpointRefusalAndNotChecked_FindsExactlyThose()
    {
        var traced = AuditRecords.Full();
        var refused = AuditRecords.Refused(kind: "tokens");
        var plain = AuditRecords.Simple();
        await using var store = await OpenStoreAsync();
        foreach (var record in new[] { traced, refused, plain })
        {
            await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        }

        async Task<string[]> Ids(AuditQuery query) =>
            [.. (await store.QueryAsync(query, CancellationToken.None)).Records.Select(r => r.Id)];

        Assert.Equal([traced.Id], await Ids(new AuditQuery { TraceId = traced.TraceId!.ToUpperInvariant() }));
        Assert.Equal([traced.Id], await Ids(new AuditQuery { ClassifierEndpoint = traced.ClassifierEndpoint }));
        Assert.Equal([refused.Id], await Ids(new AuditQuery { Refusal = "rate_limit:tokens" }));
        Assert.Equal([refused.Id], await Ids(new AuditQuery { Verdict = GuardOutcome.NotChecked }));
        Assert.Empty(await Ids(new AuditQuery { Refusal = "rate_limit:requests" }));
        await Assert.ThrowsAsync<AuditValidationException>(() => store.QueryAsync(new AuditQuery { TraceId = "xyz" }, CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_UnknownId_ReturnsNull()
    {
        await using var store = await OpenStoreAsync();

        Assert.Null(await store.GetAsync("01ARZ3NDEKTSV4RRFFQ69G5FAV", CancellationToken.None));
    }

    [Fact]
    public async Task WriteAsync_InvalidRecord_ListsEveryProblem()
    {
        await using var store = await OpenStoreAsync();
        var record = AuditRecords.Simple() with { Id = "not-an-id", Tenant = "", UnsafeProbability = double.NaN };

        var error = await Assert.ThrowsAsync<AuditValidationException>(
            () => store.WriteAsync(record, AuditDurability.Normal, CancellationToken.None).AsTask());

        Assert.Equal(3, error.Errors.Count);
    }

    [Fact]
    public async Task QueryAsync_EachFilter_MatchesOnlyItsRecords()
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        var t0 = AuditRecords.Epoch;
        var a = AuditRecords.Simple(time: t0, tenant: "team-a", ids: ids);
        var b = AuditRecords.Simple(time: t0.AddHours(1), tenant: "team-b", direction: CheckDirection.Response, ids: ids)
            with { KeyId = "key-b", Route = "completions", Model = "llama-3.2-1b" };
        var c = AuditRecords.Simple(time: t0.AddHours(2), verdict: GuardOutcome.Unsafe, action: ModerationAction.Block,
            categories: ["S1", "S10"], policy: "strict", ids: ids);
        var d = AuditRecords.Simple(time: t0.AddHours(3), verdict: GuardOutcome.Unsafe, action: ModerationAction.Flag,
            categories: ["S10"], ids: ids);
        var e = AuditRecords.Simple(time: t0.AddHours(4), verdict: GuardOutcome.Error, action: ModerationAction.Block, ids: ids);
        await StoreFactory.WriteAllAsync(store, [a, b, c, d, e]);
        await store.LabelAsync(d.Id, new AuditLabelRequest { Label = AuditLabel.Confirmed, Reviewer = "r" }, CancellationToken.None);

        async Task<string[]> Ids(AuditQuery query) =>
            [.. (await store.QueryAsync(query with { Order = AuditSortOrder.OldestFirst }, CancellationToken.None)).Records.Select(r => r.Id)];

        Assert.Equal([a.Id, b.Id, c.Id, d.Id, e.Id], await Ids(new AuditQuery()));
        Assert.Equal([b.Id, c.Id], await Ids(new AuditQuery { Since = t0.AddHours(1), Until = t0.AddHours(3) }));
        Assert.Equal([b.Id], await Ids(new AuditQuery { Tenant = "team-b" }));
        Assert.Equal([b.Id], await Ids(new AuditQuery { KeyId = "key-b" }));
        Assert.Equal([b.Id], await Ids(new AuditQuery { Route = "completions" }));
        Assert.Equal([b.Id], await Ids(new AuditQuery { Model = "llama-3.2-1b" }));
        Assert.Equal([b.Id], await Ids(new AuditQuery { Direction = CheckDirection.Response }));
        Assert.Equal([c.Id, e.Id], await Ids(new AuditQuery { Action = ModerationAction.Block }));
        Assert.Equal([e.Id], await Ids(new AuditQuery { Verdict = GuardOutcome.Error }));
        Assert.Equal([c.Id], await Ids(new AuditQuery { Category = "S1" }));
        Assert.Equal([c.Id, d.Id], await Ids(new AuditQuery { Category = "S10" }));
        Assert.Equal([c.Id], await Ids(new AuditQuery { PolicyId = "strict" }));
        Assert.Equal([d.Id], await Ids(new AuditQuery { Label = AuditLabel.Confirmed }));
        Assert.Equal([a.Id, b.Id, c.Id, e.Id], await Ids(new AuditQuery { UnlabelledOnly = true }));
        Assert.Equal([c.Id], await Ids(new AuditQuery { Action = ModerationAction.Block, Category = "S10" }));
        Assert.Empty(await Ids(new AuditQuery { Tenant = "nobody" }));
    }

    [Fact]
    public async Task QueryAsync_Search_FindsWordsInContent()
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        var weapons = AuditRecords.Simple(content: "How do I build a pipe bomb at home?", ids: ids);
        var recipe = AuditRecords.Simple(content: "Give me a recipe for banana bread.", ids: ids);
        var none = AuditRecords.Simple(content: null, ids: ids);
        await StoreFactory.WriteAllAsync(store, [weapons, recipe, none]);

        async Task<string[]> Search(string text) =>
            [.. (await store.QueryAsync(new AuditQuery { Search = text }, CancellationToken.None)).Records.Select(r => r.Id)];

        Assert.Equal([weapons.Id], await Search("bomb"));
        Assert.Equal([weapons.Id], await Search("PIPE   bomb"));
        Assert.Equal([recipe.Id], await Search("banana"));
        Assert.Empty(await Search("bomb banana"));
        Assert.Empty(await Search("nothing-like-this"));
        Assert.Equal(3, (await store.QueryAsync(new AuditQuery { Search = "   " }, CancellationToken.None)).TotalCount);
    }

    // Interpreted as FTS5 syntax, "bomb OR banana" and "NEAR(...)" would match both records and "bom*" one; taken
    // literally they ask for tokens no record holds. Punctuation that is not part of a token simply drops out.
    [Theory]
    [InlineData("bomb OR banana", 0)]
    [InlineData("content:bomb", 0)]
    [InlineData("NEAR(bomb banana)", 0)]
    [InlineData("bom*", 0)]
    [InlineData("\"bomb", 1)]
    [InlineData("bomb\"", 1)]
    [InlineData("^bomb", 1)]
    [InlineData("-bomb", 1)]
    [InlineData("\"", 0)]
    [InlineData("') OR 1=1 --", 0)]
    public async Task QueryAsync_SearchWithFtsSyntax_IsLiteralAndNeverFails(string text, int expected)
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        await StoreFactory.WriteAllAsync(store, [
            AuditRecords.Simple(content: "a pipe bomb", ids: ids),
            AuditRecords.Simple(content: "banana bread", ids: ids),
        ]);

        var page = await store.QueryAsync(new AuditQuery { Search = text }, CancellationToken.None);

        Assert.Equal(expected, page.TotalCount);
        Assert.All(page.Records, r => Assert.Equal("a pipe bomb", r.Content));
    }

    [Fact]
    public async Task QueryAsync_Paging_VisitsEveryRecordOnceInOrder()
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        var written = Enumerable.Range(0, 23).Select(i => AuditRecords.Simple(time: AuditRecords.Epoch.AddMinutes(i), ids: ids)).ToArray();
        await StoreFactory.WriteAllAsync(store, written);

        var seen = new List<string>();
        var query = new AuditQuery { Limit = 5 };
        var pages = 0;
        while (true)
        {
            var page = await store.QueryAsync(query, CancellationToken.None);
            pages++;
            Assert.Equal(23, page.TotalCount);
            Assert.True(page.Records.Count <= 5);
            seen.AddRange(page.Records.Select(r => r.Id));
            if (page.NextCursor is null)
            {
                break;
            }

            query = query with { After = page.NextCursor };
        }

        Assert.Equal(5, pages);
        Assert.Equal(written.Select(r => r.Id).Reverse(), seen);
    }

    [Fact]
    public async Task QueryAsync_InvalidQuery_ListsEveryProblem()
    {
        await using var store = await OpenStoreAsync();
        var query = new AuditQuery
        {
            Limit = AuditQuery.MaxLimit + 1,
            Since = AuditRecords.Epoch,
            Until = AuditRecords.Epoch,
            Label = AuditLabel.Confirmed,
            UnlabelledOnly = true,
            After = "x",
        };

        var error = await Assert.ThrowsAsync<AuditValidationException>(() => store.QueryAsync(query, CancellationToken.None));

        Assert.Equal(4, error.Errors.Count);
    }

    [Fact]
    public async Task GetStatsAsync_TimeRange_CountsByActionDirectionCategoryAndLabel()
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        var t0 = AuditRecords.Epoch;
        var labelled = AuditRecords.Simple(time: t0, verdict: GuardOutcome.Unsafe, action: ModerationAction.Block, categories: ["S1", "S2"], ids: ids);
        await StoreFactory.WriteAllAsync(store, [
            labelled,
            AuditRecords.Simple(time: t0.AddMinutes(1), verdict: GuardOutcome.Unsafe, action: ModerationAction.Block, categories: ["S1"], ids: ids),
            AuditRecords.Simple(time: t0.AddMinutes(2), direction: CheckDirection.Response, ids: ids),
            AuditRecords.Simple(time: t0.AddDays(2), verdict: GuardOutcome.Unsafe, action: ModerationAction.Flag, categories: ["S9"], ids: ids),
        ]);
        await store.LabelAsync(labelled.Id, new AuditLabelRequest { Label = AuditLabel.FalsePositive, Reviewer = "r" }, CancellationToken.None);

        var stats = await store.GetStatsAsync(new AuditQuery { Since = t0, Until = t0.AddDays(1) }, CancellationToken.None);

        Assert.Equal(3, stats.Total);
        Assert.Equal(new Dictionary<string, long> { ["allow"] = 1, ["block"] = 2 }, stats.ByAction);
        Assert.Equal(new Dictionary<string, long> { ["prompt"] = 2, ["response"] = 1 }, stats.ByDirection);
        Assert.Equal(new Dictionary<string, long> { ["safe"] = 1, ["unsafe"] = 2 }, stats.ByVerdict);
        Assert.Equal(new Dictionary<string, long> { ["S1"] = 2, ["S2"] = 1 }, stats.ByCategory);
        Assert.Equal(new Dictionary<string, long> { ["false_positive"] = 1 }, stats.ByLabel);
    }

    [Fact]
    public async Task LabelAsync_ValidLabel_StoresLabelReviewerNoteAndTime()
    {
        var clock = new FakeTimeProvider(AuditRecords.Epoch.AddDays(3));
        await using var store = await OpenStoreAsync(timeProvider: clock);
        var record = AuditRecords.Simple(verdict: GuardOutcome.Safe);
        await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);

        var labelled = await store.LabelAsync(record.Id, new AuditLabelRequest
        {
            Label = AuditLabel.FalseNegative,
            Reviewer = "  ana ",
            Note = "clearly S2",
            Categories = ["S2"],
        }, CancellationToken.None);

        Assert.NotNull(labelled);
        Assert.Equal(AuditLabel.FalseNegative, labelled.Label);
        Assert.Equal("ana", labelled.Reviewer);
        Assert.Equal("clearly S2", labelled.LabelNote);
        Assert.Equal(["S2"], labelled.LabelCategories);
        Assert.Equal(clock.GetUtcNow(), labelled.LabelledAt);
        var again = await store.GetAsync(record.Id, CancellationToken.None);
        Assert.Equal(AuditLabel.FalseNegative, again!.Label);
        Assert.Equal(labelled.LabelledAt, again.LabelledAt);
    }

    [Fact]
    public async Task LabelAsync_UnknownId_ReturnsNull()
    {
        await using var store = await OpenStoreAsync();

        var result = await store.LabelAsync("01ARZ3NDEKTSV4RRFFQ69G5FAV",
            new AuditLabelRequest { Label = AuditLabel.Confirmed, Reviewer = "r" }, CancellationToken.None);

        Assert.Null(result);
    }

    [Fact]
    public async Task DisposeAsync_QueuedNormalWrites_AreFlushed()
    {
        var ids = new AuditIdGenerator(TimeProvider.System);
        var records = Enumerable.Range(0, 500).Select(_ => AuditRecords.Simple(ids: ids)).ToArray();
        await using (var store = await OpenStoreAsync())
        {
            foreach (var record in records)
            {
                await store.WriteAsync(record, AuditDurability.Normal, CancellationToken.None);
            }
        }

        await using var reopened = await OpenStoreAsync();
        Assert.Equal(500, (await reopened.QueryAsync(new AuditQuery(), CancellationToken.None)).TotalCount);
    }

    [Fact]
    public async Task WriteAsync_AfterDispose_Throws()
    {
        var store = await OpenStoreAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => store.WriteAsync(AuditRecords.Simple(), AuditDurability.Normal, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task OpenAsync_WithAMeterFactory_CreatesTheMeterThereWithCountersAtZero()
    {
        using var factory = new RecordingMeterFactory();
        var measurements = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => measurements.AddOrUpdate(i.Name, v, (_, old) => old + v));
        listener.Start();
        var options = TestOptions();

        await using var store = await AuditStore.OpenAsync(options, factory);
        Assert.Equal(0, measurements["guardrail_audit_write_errors_total"]);
        Assert.Equal(0, measurements["guardrail_audit_rejected_total"]);
        await store.WriteAsync(AuditRecords.Simple(), AuditDurability.Full, CancellationToken.None);

        Assert.Same(factory, store.Meter.Scope);
        Assert.Equal(AuditStore.MeterName, Assert.Single(factory.Created).Name);
        Assert.Equal(1, measurements["guardrail_audit_records_written_total"]);
    }

    /// <summary>Hands out meters scoped to itself, as the host's factory does.</summary>
    private sealed class RecordingMeterFactory : IMeterFactory
    {
        public List<Meter> Created { get; } = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
            Created.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in Created)
            {
                meter.Dispose();
            }
        }
    }
}
