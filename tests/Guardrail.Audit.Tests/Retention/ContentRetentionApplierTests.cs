using Guardrail.Audit.Retention;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;

namespace Guardrail.Audit.Tests.Retention;

public sealed class ContentRetentionApplierTests : IDisposable
{
    private const string Sensitive =
        "user: I'm jane@example.com, call me on +44 20 7946 0958, card 4111 1111 1111 1111, my key is " +
        "sk-live0123456789abcdefXYZ and Authorization: Bearer zzTopSecretToken123";

    private static readonly string[] Leaks =
        ["jane@example.com", "7946 0958", "4111 1111 1111 1111", "sk-live0123456789abcdefXYZ", "zzTopSecretToken123"];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WriteAsync_RedactedDefault_StoresNoEmailPhoneCardOrKey()
    {
        var stored = await WriteAndReadAsync(ContentRetention.Redacted, recordMode: null);

        Assert.Equal(ContentRetention.Redacted, stored.ContentRetention);
        Assert.NotNull(stored.Content);
        Assert.StartsWith("user: I'm [EMAIL]", stored.Content, StringComparison.Ordinal);
        Assert.All(Leaks, leak => Assert.DoesNotContain(leak, stored.Content, StringComparison.Ordinal));
        Assert.Equal(ContentRetentionApplier.Hash(Sensitive), stored.ContentHash);
        Assert.Empty(await SearchAsync("jane"));
    }

    [Theory]
    [InlineData(ContentRetention.Hash)]
    [InlineData(ContentRetention.None)]
    public async Task WriteAsync_HashOrNone_StoresNoContentButTheHash(ContentRetention mode)
    {
        var stored = await WriteAndReadAsync(ContentRetention.Full, recordMode: mode);

        Assert.Equal(mode, stored.ContentRetention);
        Assert.Null(stored.Content);
        Assert.Equal(ContentRetentionApplier.Hash(Sensitive), stored.ContentHash);
        Assert.Empty(await SearchAsync("call"));
        // Not in the file at all, not even in the full-text index.
        var bytes = await ReadAllDatabaseBytesAsync();
        Assert.All(Leaks, leak => Assert.DoesNotContain(leak, bytes, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteAsync_Full_KeepsContentAsGiven()
    {
        var stored = await WriteAndReadAsync(ContentRetention.Full, recordMode: null);

        Assert.Equal(Sensitive, stored.Content);
        Assert.Single(await SearchAsync("call"));
    }

    [Fact]
    public void Apply_RecordModeGiven_OverridesTheDefault()
    {
        var record = AuditRecords.Simple(content: Sensitive) with { ContentRetention = ContentRetention.Full };

        var applied = ContentRetentionApplier.Apply(record, ContentRetention.None);

        Assert.Equal(Sensitive, applied.Content);
    }

    [Fact]
    public void Apply_NoContent_HashesTheEmptyString()
    {
        var applied = ContentRetentionApplier.Apply(AuditRecords.Simple(content: null), ContentRetention.Redacted);

        Assert.Null(applied.Content);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", applied.ContentHash);
    }

    private async Task<AuditRecord> WriteAndReadAsync(ContentRetention storeMode, ContentRetention? recordMode)
    {
        var record = AuditRecords.Simple(content: Sensitive) with { ContentRetention = recordMode };
        await using var store = await StoreFactory.OpenAsync(_directory, o => o with { ContentRetention = storeMode });
        await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        return (await store.GetAsync(record.Id, CancellationToken.None))!;
    }

    private async Task<IReadOnlyList<AuditRecord>> SearchAsync(string text)
    {
        await using var store = await StoreFactory.OpenAsync(_directory);
        return (await store.QueryAsync(new Guardrail.Audit.Querying.AuditQuery { Search = text }, CancellationToken.None)).Records;
    }

    private async Task<string> ReadAllDatabaseBytesAsync()
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in Directory.GetFiles(_directory.Path))
        {
            text.Append(System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)));
        }

        return text.ToString();
    }
}
