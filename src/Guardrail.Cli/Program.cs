using System.CommandLine;
using Guardrail.Cli.Commands;

var root = new RootCommand("Guardrail: Llama Guard moderation gateway tools.");
root.Subcommands.Add(AuditCommands.Create());
return await root.Parse(args).InvokeAsync();
