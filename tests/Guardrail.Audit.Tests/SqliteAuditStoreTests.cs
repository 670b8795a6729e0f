using Guardrail.Audit.Tests.TestSupport;

namespace Guardrail.Audit.Tests;

/// <summary>The contract on the embedded SQLite file, and what only SQLite has (a file path).</summary>
public sealed class SqliteAuditStoreTests : AuditStoreContract, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override AuditStoreOptions DatabaseOptions => new() { DatabasePath = _directory.File("audit.db") };

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task OpenAsync_MissingFileWithoutCreate_ThrowsFileNotFound()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(
            () => StoreFactory.OpenAsync(_directory, o => o with { CreateIfMissing = false }));

        Assert.False(File.Exists(_directory.File("audit.db")));
    }

    [Fact]
    public async Task OpenAsync_InvalidOptions_ListsEveryProblem()
    {
        var options = new AuditStoreOptions
        {
            DatabasePath = " ",
            RetentionDays = -1,
            QueueCapacity = 0,
            MaxBatchSize = 0,
            EnqueueTimeout = TimeSpan.FromHours(1),
            BusyTimeout = TimeSpan.Zero,
            PurgeInterval = TimeSpan.FromSeconds(-1),
        };

        var error = await Assert.ThrowsAsync<AuditValidationException>(() => AuditStore.OpenAsync(options));

        Assert.Equal(7, error.Errors.Count);
        Assert.All(error.Errors, e => Assert.StartsWith("Guardrail:Audit:", e, StringComparison.Ordinal));
    }
}
