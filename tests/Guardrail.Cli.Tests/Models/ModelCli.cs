using System.CommandLine;
using Guardrail.Cli.Commands;
using Guardrail.Cli.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Cli.Tests.Models;

/// <summary>Runs <c>guardrail model ...</c> in process against an environment the test controls.</summary>
internal static class ModelCli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ModelCommandEnvironment environment, params string[] args)
    {
        var root = new RootCommand("test") { ModelCommands.Create(NullLoggerFactory.Instance, environment) };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>An environment whose only variables are <paramref name="variables"/> (HF_ENDPOINT, HF_TOKEN...).</summary>
    public static ModelCommandEnvironment Environment(IReadOnlyDictionary<string, string>? variables = null, ModelCatalog? catalog = null) => new()
    {
        GetVariable = name => variables?.GetValueOrDefault(name),
        Catalog = catalog ?? ModelCatalog.Embedded,
        ProgressIsTerminal = false,
    };

    /// <summary>An environment pointing Hugging Face at <paramref name="server"/>.</summary>
    public static ModelCommandEnvironment For(ModelFileServer server, string? token = null, ModelCatalog? catalog = null)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["HF_ENDPOINT"] = server.BaseAddress.AbsoluteUri };
        if (token is not null)
        {
            variables["HF_TOKEN"] = token;
        }

        return Environment(variables, catalog);
    }
}
