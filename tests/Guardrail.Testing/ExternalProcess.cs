using System.Diagnostics;

namespace Guardrail.Testing;

/// <summary>Runs a real external program (promtool, prometheus, redis-server, kill) that <c>scripts/test.sh</c> installs.</summary>
public static class ExternalProcess
{
    /// <summary>The full path of <paramref name="tool"/> on <c>PATH</c>; throws, naming the tool, when it is not installed.</summary>
    public static string Require(string tool)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"'{tool}' is not installed. scripts/test.sh installs the Debian packages the tests use; run the tests through it.");
    }

    /// <summary>Runs <paramref name="tool"/> to its exit (two minutes at most) and returns its exit code with its standard output followed by its standard error.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> arguments, string? standardInput = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Require(tool))
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
