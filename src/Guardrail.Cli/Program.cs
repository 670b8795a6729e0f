using System.CommandLine;
using Guardrail.Cli.Commands;
using Microsoft.Extensions.Logging;

// Diagnostics go to stderr so that command output on stdout stays clean for pipes.
using var loggerFactory = LoggerFactory.Create(logging => logging
    .SetMinimumLevel(LogLevel.Warning)
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));

var root = new RootCommand("Guardrail: Llama Guard moderation gateway tools.")
{
    ClassifyCommand.Create(loggerFactory),
    ModelCommands.Create(loggerFactory),
    PolicyCommands.Create(),
    AuditCommands.Create(),
    BenchCommand.Create(loggerFactory),
    ServeCommand.Create(loggerFactory),
};
return await root.Parse(args).InvokeAsync();
