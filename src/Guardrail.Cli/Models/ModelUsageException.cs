namespace Guardrail.Cli.Models;

/// <summary>A model command was given arguments that cannot work; every problem is listed. Exit code 2.</summary>
internal sealed class ModelUsageException : Exception
{
    public ModelUsageException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems)) => Problems = problems;

    public ModelUsageException(string problem)
        : this([problem])
    {
    }

    public ModelUsageException()
        : this("Invalid arguments.")
    {
    }

    public ModelUsageException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    public IReadOnlyList<string> Problems { get; }
}
