using System.CommandLine;
using System.Globalization;
using System.Text;
using Guardrail.Audit;
using Guardrail.Audit.Export;
using Guardrail.Audit.Labelling;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;

namespace Guardrail.Cli.Commands;

/// <summary><c>guardrail audit list|show|label|export|stats</c>: the audit log from the command line, with the filters
/// of the review page.</summary>
/// <remarks>Exit codes: 0 done, 1 no such decision or database, 2 invalid arguments (every problem is listed).</remarks>
internal static class AuditCommands
{
    private const int Ok = 0;
    private const int NotFound = 1;
    private const int Usage = 2;

    public static Command Create(TimeProvider? timeProvider = null)
    {
        var clock = timeProvider ?? TimeProvider.System;
        var audit = new Command("audit", "Read, label and export the audit log of moderation decisions.");
        audit.Subcommands.Add(CreateList(clock));
        audit.Subcommands.Add(CreateShow());
        audit.Subcommands.Add(CreateLabel());
        audit.Subcommands.Add(CreateExport(clock));
        audit.Subcommands.Add(CreateStats(clock));
        return audit;
    }

    private static Command CreateList(TimeProvider clock)
    {
        var db = DbOption();
        var filters = new FilterOptions(AuditQueryUse.List);
        var format = FormatOption("table", "jsonl", "csv");
        var command = new Command("list", "List decisions, newest first.") { db, format };
        filters.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var output = result.InvocationConfiguration.Output;
            var parsed = filters.Parse(result, clock);
            if (Fail(result, parsed))
            {
                return Usage;
            }

            var query = parsed.Query;

            return await WithStoreAsync(result, db, async store =>
            {
                switch (result.GetValue(format))
                {
                    case "jsonl":
                        await store.ExportAsync(query, AuditExportFormat.JsonLines, output, ct, query.Limit);
                        break;
                    case "csv":
                        await store.ExportAsync(query, AuditExportFormat.Csv, output, ct, query.Limit);
                        break;
                    default:
                        var page = await store.QueryAsync(query, ct);
                        await WriteTableAsync(output, page, ct);
                        break;
                }

                return Ok;
            });
        });
        return command;
    }

    private static Command CreateShow()
    {
        var db = DbOption();
        var id = new Argument<string>("id") { Description = "The decision id." };
        var format = FormatOption("table", "jsonl");
        var command = new Command("show", "Show one decision with its conversation.") { db, id, format };
        command.SetAction(async (result, ct) => await WithStoreAsync(result, db, async store =>
        {
            var record = await store.GetAsync(result.GetRequiredValue(id), ct);
            if (record is null)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"No decision {result.GetValue(id)}.");
                return NotFound;
            }

            await WriteRecordAsync(result, record, string.Equals(result.GetValue(format), "jsonl", StringComparison.Ordinal), ct);
            return Ok;
        }));
        return command;
    }

    private static Command CreateLabel()
    {
        var db = DbOption();
        var id = new Argument<string>("id") { Description = "The decision id." };
        var label = new Option<string>("--label") { Description = "confirmed, false_positive or false_negative.", Required = true };
        var reviewer = new Option<string>("--reviewer") { Description = "Who is labelling.", Required = true };
        var note = new Option<string?>("--note") { Description = "Why." };
        var categories = new Option<string[]>("--category")
        {
            Description = "With false_negative: a category the content violates (repeat for several).",
            AllowMultipleArgumentsPerToken = true,
        };
        var format = FormatOption("table", "jsonl");
        var command = new Command("label", "Label a decision as confirmed, false_positive or false_negative.")
        {
            db, id, label, reviewer, note, categories, format,
        };
        command.SetAction(async (result, ct) =>
        {
            var errors = new List<string>();
            if (!AuditNames.TryParseLabel(result.GetValue(label), out var parsed))
            {
                errors.Add($"--label '{result.GetValue(label)}' is not one of confirmed, false_positive, false_negative.");
            }

            var request = new AuditLabelRequest
            {
                Label = parsed,
                Reviewer = result.GetValue(reviewer) ?? "",
                Note = result.GetValue(note),
                Categories = result.GetValue(categories) ?? [],
            };
            if (errors.Count == 0)
            {
                errors.AddRange(request.Validate().Select(e => "--" + e));
            }

            if (Fail(result, errors))
            {
                return Usage;
            }

            return await WithStoreAsync(result, db, async store =>
            {
                var updated = await store.LabelAsync(result.GetRequiredValue(id), request, ct);
                if (updated is null)
                {
                    await result.InvocationConfiguration.Error.WriteLineAsync($"No decision {result.GetValue(id)}.");
                    return NotFound;
                }

                await WriteRecordAsync(result, updated, string.Equals(result.GetValue(format), "jsonl", StringComparison.Ordinal), ct);
                return Ok;
            });
        });
        return command;
    }

    private static Command CreateExport(TimeProvider clock)
    {
        var db = DbOption();
        var filters = new FilterOptions(AuditQueryUse.Export);
        var format = FormatOption("jsonl", "csv", "eval");
        var outputPath = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var command = new Command("export",
            "Export matching decisions as JSON Lines or CSV, or labelled ones as an evaluation set (eval).")
        {
            db, format, outputPath,
        };
        filters.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var parsed = filters.Parse(result, clock);
            if (Fail(result, parsed))
            {
                return Usage;
            }

            var query = parsed.Query;

            var exportFormat = result.GetValue(format) switch
            {
                "csv" => AuditExportFormat.Csv,
                "eval" => AuditExportFormat.EvaluationSet,
                _ => AuditExportFormat.JsonLines,
            };
            return await WithStoreAsync(result, db, async store =>
            {
                AuditExportResult exported;
                if (result.GetValue(outputPath) is { } file)
                {
                    var writer = new StreamWriter(file.FullName, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                    await using (writer.ConfigureAwait(false))
                    {
                        exported = await store.ExportAsync(query, exportFormat, writer, ct, parsed.MaxRecords);
                    }
                }
                else
                {
                    exported = await store.ExportAsync(query, exportFormat, result.InvocationConfiguration.Output, ct, parsed.MaxRecords);
                }

                await result.InvocationConfiguration.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Exported {exported.Written} decisions{(exported.Skipped > 0 ? $", skipped {exported.Skipped} (unlabelled, no stored content, or confirmed errors)" : "")}."));
                return Ok;
            });
        });
        return command;
    }

    private static Command CreateStats(TimeProvider clock)
    {
        var db = DbOption();
        var filters = new FilterOptions(AuditQueryUse.Stats);
        var format = FormatOption("table", "jsonl");
        var command = new Command("stats", "Count matching decisions by action, direction, verdict, category and label.") { db, format };
        filters.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var parsed = filters.Parse(result, clock);
            if (Fail(result, parsed))
            {
                return Usage;
            }

            var query = parsed.Query;

            return await WithStoreAsync(result, db, async store =>
            {
                var stats = await store.GetStatsAsync(query, ct);
                var output = result.InvocationConfiguration.Output;
                if (string.Equals(result.GetValue(format), "jsonl", StringComparison.Ordinal))
                {
                    await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>(StringComparer.Ordinal)
                    {
                        ["total"] = stats.Total,
                        ["by_action"] = stats.ByAction,
                        ["by_direction"] = stats.ByDirection,
                        ["by_verdict"] = stats.ByVerdict,
                        ["by_category"] = stats.ByCategory,
                        ["by_label"] = stats.ByLabel,
                    }));
                    return Ok;
                }

                var text = new StringBuilder();
                text.Append(CultureInfo.InvariantCulture, $"total: {stats.Total}\n");
                AppendCounts(text, "action", stats.ByAction);
                AppendCounts(text, "direction", stats.ByDirection);
                AppendCounts(text, "verdict", stats.ByVerdict);
                AppendCounts(text, "category", stats.ByCategory);
                AppendCounts(text, "label", stats.ByLabel);
                await output.WriteAsync(text.ToString().AsMemory(), ct);
                return Ok;
            });
        });
        return command;
    }

    private static Option<string> DbOption() => new("--db")
    {
        Description = "Path of the SQLite audit database (Guardrail:Audit:DatabasePath), or the PostgreSQL URL or " +
            "connection string of a shared one (Guardrail:Audit:ConnectionString), e.g. postgres://user:password@host/guardrail.",
        Required = true,
    };

    private static Option<string> FormatOption(params string[] formats)
    {
        var option = new Option<string>("--format")
        {
            Description = "Output format: " + string.Join(", ", formats) + ".",
            DefaultValueFactory = _ => formats[0],
        };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    private static async Task<int> WithStoreAsync(ParseResult result, Option<string> db, Func<AuditStore, Task<int>> action)
    {
        AuditStore store;
        var location = result.GetRequiredValue(db);
        var isServer = location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
            location.Contains("Host=", StringComparison.OrdinalIgnoreCase);
        try
        {
            store = await AuditStore.OpenAsync(new AuditStoreOptions
            {
                DatabasePath = isServer ? "" : location,
                ConnectionString = isServer ? location : "",
                // Reading the log must not create an empty one at a mistyped path, nor purge what a server keeps.
                CreateIfMissing = false,
                RetentionDays = 0,
                PurgeInterval = TimeSpan.Zero,
            });
        }
        catch (FileNotFoundException ex)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync(ex.Message);
            return NotFound;
        }
        catch (AuditValidationException ex)
        {
            Fail(result, ex.Errors);
            return Usage;
        }
        catch (System.Data.Common.DbException ex) when (isServer)
        {
            // The server's own words (unreachable, authentication failed); Npgsql's messages never hold the password.
            await result.InvocationConfiguration.Error.WriteLineAsync($"The audit database could not be opened: {ex.Message}");
            return NotFound;
        }

        await using (store.ConfigureAwait(false))
        {
            try
            {
                return await action(store);
            }
            catch (AuditValidationException ex)
            {
                Fail(result, ex.Errors);
                return Usage;
            }
        }
    }

    private static bool Fail(ParseResult result, AuditQueryParseResult parsed) =>
        Fail(result, [.. parsed.Problems.Select(p => p.Message)]);

    private static bool Fail(ParseResult result, IReadOnlyList<string> errors)
    {
        foreach (var error in errors)
        {
            result.InvocationConfiguration.Error.WriteLine(error);
        }

        return errors.Count > 0;
    }

    private static async Task WriteTableAsync(TextWriter output, AuditPage page, CancellationToken ct)
    {
        string[] header = ["ID", "TIME (UTC)", "TENANT", "DIRECTION", "VERDICT", "ACTION", "P(UNSAFE)", "CATEGORIES", "POLICY", "LABEL"];
        var rows = new List<string[]> { header };
        rows.AddRange(page.Records.Select(r => new[]
        {
            r.Id,
            r.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            r.Tenant,
            r.Direction.ToWire(),
            r.Verdict.ToWire(),
            r.Action.ToWire(),
            r.UnsafeProbability.ToString("0.000", CultureInfo.InvariantCulture),
            r.Categories.Count == 0 ? "-" : string.Join(',', r.Categories),
            r.PolicyId,
            r.Label?.ToWire() ?? "-",
        }));
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Length; c++)
            {
                text.Append(c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c] + 2));
            }

            text.Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"{page.Records.Count} of {page.TotalCount} matching decisions shown.");
        if (page.NextCursor is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" Next page: --after {page.NextCursor}");
        }

        text.Append('\n');
        await output.WriteAsync(text.ToString().AsMemory(), ct);
    }

    private static async Task WriteRecordAsync(ParseResult result, AuditRecord r, bool json, CancellationToken ct)
    {
        var output = result.InvocationConfiguration.Output;
        if (json)
        {
            await AuditJsonLinesWriter.WriteAsync(output, r, ct);
            return;
        }

        var text = new StringBuilder();
        void Line(string name, string? value) => text.Append(CultureInfo.InvariantCulture, $"{name,-18}{value ?? "-"}\n");
        Line("id", r.Id);
        Line("time", r.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Line("tenant", r.Tenant);
        Line("key id", r.KeyId);
        Line("route", r.Route);
        Line("model", r.Model);
        Line("request id", r.RequestId);
        Line("trace id", r.TraceId);
        if (r.Refusal is not null)
        {
            Line("refused by", r.Refusal);
        }

        Line("direction", r.Direction.ToWire());
        Line("verdict", r.Verdict.ToWire());
        Line("action", r.Action.ToWire());
        Line("categories", r.Categories.Count == 0 ? null : string.Join(", ", r.Categories));
        Line("p(unsafe)", r.UnsafeProbability.ToString("0.0000", CultureInfo.InvariantCulture));
        Line("threshold", r.Threshold.ToString("0.0000", CultureInfo.InvariantCulture));
        Line("policy", $"{r.PolicyId} ({r.PolicyVersion})");
        Line("shadow action", r.ShadowAction?.ToWire());
        Line("classifier", r.ClassifierEndpoint is null ? r.ClassifierModel : $"{r.ClassifierModel} at {r.ClassifierEndpoint}");
        Line("latency", r.ClassificationLatency.TotalMilliseconds.ToString("0.0 'ms'", CultureInfo.InvariantCulture));
        Line("cache hit", r.CacheHit ? "yes" : "no");
        Line("truncated", r.Truncated ? "yes" : "no");
        Line("retention", r.ContentRetention?.ToWire());
        Line("content sha256", r.ContentHash);
        Line("label", r.Label?.ToWire());
        if (r.Label is not null)
        {
            Line("label categories", r.LabelCategories.Count == 0 ? null : string.Join(", ", r.LabelCategories));
            Line("reviewer", r.Reviewer);
            Line("note", r.LabelNote);
            Line("labelled at", r.LabelledAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        }

        text.Append("content:\n");
        text.Append(r.Content ?? "(not kept)").Append('\n');
        await output.WriteAsync(text.ToString().AsMemory(), ct);
    }

    private static void AppendCounts(StringBuilder text, string name, IReadOnlyDictionary<string, long> counts)
    {
        text.Append(CultureInfo.InvariantCulture, $"by {name}:");
        if (counts.Count == 0)
        {
            text.Append(" -");
        }

        foreach (var (key, count) in counts)
        {
            text.Append(CultureInfo.InvariantCulture, $" {key}={count}");
        }

        text.Append('\n');
    }

    /// <summary>The options of the audit query language (docs/review.md) for list, export or stats: one option per
    /// parameter that <see cref="AuditQueryParser"/> takes, read by that parser, as the admin API's query string is.</summary>
    private sealed class FilterOptions
    {
        private readonly AuditQueryUse _use;
        private readonly Option<string?>[] _values;
        private readonly Option<bool> _unlabelled;

        public FilterOptions(AuditQueryUse use)
        {
            _use = use;
            var names = AuditQueryParser.ParameterNames(use, AuditQueryNaming.CommandLine);
            var unlabelled = AuditQueryParser.Spell("unlabelled", AuditQueryNaming.CommandLine);
            _values = [.. names.Where(n => !string.Equals(n, unlabelled, StringComparison.Ordinal)).Select(n => new Option<string?>(n) { Description = Describe(n, use) })];
            // A flag on the command line (--unlabelled), true or false in a query string: the parser reads both.
            _unlabelled = new Option<bool>(unlabelled) { Description = Describe(unlabelled, use) };
        }

        public void AddTo(Command command)
        {
            foreach (var option in _values)
            {
                command.Options.Add(option);
            }

            command.Options.Add(_unlabelled);
        }

        /// <summary>The query the options describe, with every problem named by its option.</summary>
        public AuditQueryParseResult Parse(ParseResult result, TimeProvider clock)
        {
            var values = _values.Select(o => KeyValuePair.Create(o.Name, result.GetValue(o)))
                .Append(KeyValuePair.Create<string, string?>(_unlabelled.Name, result.GetValue(_unlabelled) ? "true" : null));
            return AuditQueryParser.Parse(values, _use, AuditQueryNaming.CommandLine, clock);
        }

        private static string Describe(string option, AuditQueryUse use) => option switch
        {
            "--since" => "From this time: ISO 8601 (2026-11-22T10:00Z) or an age such as 30m, 24h, 7d.",
            "--until" => "Before this time, in the same forms as --since.",
            "--tenant" => "Only this tenant.",
            "--key-id" => "Only decisions made for this gateway key id.",
            "--route" => "Only this route id.",
            "--model" => "Only requests for this model.",
            "--direction" => "prompt or response.",
            "--action" => "allow, flag or block.",
            "--verdict" => "safe, unsafe or error.",
            "--category" => "Decisions naming this category code, such as S1.",
            "--policy" => "Only this policy id.",
            "--label" => "confirmed, false_positive, false_negative, or none for unlabelled.",
            "--unlabelled" => "Only decisions nobody has labelled (the same as --label none).",
            "--search" => "Words that must all occur in the stored conversation (taken literally).",
            "--after" => "Continue after this decision id (printed under the previous page).",
            "--limit" when use == AuditQueryUse.Export => "Export at most this many decisions (default: all).",
            "--limit" => $"Decisions per page (1 to {AuditQuery.MaxLimit}, default {AuditQueryParser.DefaultLimit}).",
            "--sort" => "newest (the default) or oldest first.",
            _ => "See docs/review.md, the audit query language.",
        };
    }
}
