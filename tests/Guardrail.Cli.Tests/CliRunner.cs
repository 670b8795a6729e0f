using System.CommandLine;
using Guardrail.Cli.Commands;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Cli.Tests;

/// <summary>Runs the CLI's commands in process with captured output.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args) => RunWithInput(null, args);

    public static (int ExitCode, string Output, string Error) RunWithInput(string? standardInput, params string[] args)
    {
        using var input = new StringReader(standardInput ?? string.Empty);
        var root = new RootCommand("test")
        {
            ModelCommands.Create(NullLoggerFactory.Instance),
            ClassifyCommand.Create(NullLoggerFactory.Instance, input),
            PolicyCommands.Create(),
            BenchCommand.Create(NullLoggerFactory.Instance),
        };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
