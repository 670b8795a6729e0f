using Guardrail.Audit.Writing;
using Guardrail.Auditing;
using Npgsql;
using NpgsqlTypes;

namespace Guardrail.Audit.Storage;

/// <summary>Commits each batch as one binary <c>COPY</c> on the writer's own connection: one commit (one WAL flush)
/// per batch, acknowledged when <c>COPY</c> completes. A batch that fails drops the connection, so the next one opens
/// a fresh one: a server that went away and came back costs the batches in between, not the writer.</summary>
internal sealed class PostgresBatchCommitter(NpgsqlDataSource dataSource) : IAuditBatchCommitter
{
    private static readonly string CopySql =
        $"COPY decisions ({string.Join(", ", AuditRecordRows.Columns)}, category_codes) FROM STDIN (FORMAT BINARY)";

    private NpgsqlConnection? _connection;

    public async Task CommitAsync(IReadOnlyList<AuditRecord> records)
    {
        _connection ??= await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        try
        {
            await CopyAsync(_connection, records).ConfigureAwait(false);
        }
        catch
        {
            await DropConnectionAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<AuditRecord> records)
    {
        await using var importer = await connection.BeginBinaryImportAsync(CopySql).ConfigureAwait(false);
        foreach (var record in records)
        {
            await importer.StartRowAsync().ConfigureAwait(false);
            foreach (var value in AuditRecordRows.Values(record))
            {
                switch (value)
                {
                    case string text:
                        await importer.WriteAsync(text, NpgsqlDbType.Text).ConfigureAwait(false);
                        break;
                    case long number:
                        await importer.WriteAsync(number, NpgsqlDbType.Bigint).ConfigureAwait(false);
                        break;
                    case double real:
                        await importer.WriteAsync(real, NpgsqlDbType.Double).ConfigureAwait(false);
                        break;
                    default:
                        await importer.WriteNullAsync().ConfigureAwait(false);
                        break;
                }
            }

            await importer.WriteAsync(record.Categories.Distinct(StringComparer.Ordinal).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
                .ConfigureAwait(false);
        }

        await importer.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Unreachable, shutting down, out of resources, read-only (a failover in progress), or a transient error
    /// by Npgsql's own reckoning; a constraint or data error is the records' fault.</summary>
    public bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient ||
            postgres.SqlState.StartsWith("08", StringComparison.Ordinal) ||
            postgres.SqlState.StartsWith("53", StringComparison.Ordinal) ||
            postgres.SqlState.StartsWith("57", StringComparison.Ordinal) ||
            postgres.SqlState.StartsWith("58", StringComparison.Ordinal) ||
            string.Equals(postgres.SqlState, PostgresErrorCodes.ReadOnlySqlTransaction, StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    public ValueTask DisposeAsync() => DropConnectionAsync();

    private async ValueTask DropConnectionAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
