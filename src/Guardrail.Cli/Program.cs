using System.CommandLine;

var root = new RootCommand("Guardrail: Llama Guard moderation gateway tools.");
return await root.Parse(args).InvokeAsync();
