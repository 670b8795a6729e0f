using System.ClientModel;
using System.ClientModel.Primitives;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Guardrail.Cli.Commands;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;
using OpenAI.Chat;

namespace Guardrail.Cli.Tests.Commands;

public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_ScriptedGenerator_AnswersTheOfficialOpenAIClientUntilCancelled()
    {
        NativeTestRuntime.EnsureInitialized();
        using var stop = new CancellationTokenSource();
        var output = new LineWriter();
        var root = new RootCommand("test") { ServeCommand.Create(NullLoggerFactory.Instance) };
        var serving = root.Parse(["serve", "--model", TestAssets.ScriptedGenerator.Path, "--port", "0", "--parallel", "2", "--gpu-layers", "0", "--context", "512", "--threads", "2", "--model-id", "scripted"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = new StringWriter() }, stop.Token);

        var line = await output.FirstLine.WaitAsync(VerdictAssert.CheckDeadline);
        Assert.StartsWith("serving scripted at http://127.0.0.1:", line, StringComparison.Ordinal);
        var endpoint = new Uri(line.Split(' ')[3]);
        var options = new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = VerdictAssert.CheckDeadline };
        var chat = new ChatClient("scripted", new ApiKeyCredential("unused-on-loopback"), options);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { Temperature = 0 });
        ChatCompletion flagged = await chat.CompleteChatAsync([new UserChatMessage($"the {TestAssets.ScriptedGenerator.TriggerWord}")], new ChatCompletionOptions { Temperature = 0 });

        Assert.Equal(TestAssets.ScriptedGenerator.Answer, completion.Content[0].Text);
        Assert.Equal(TestAssets.ScriptedGenerator.FlaggedAnswer, flagged.Content[0].Text);
        await stop.CancelAsync();
        Assert.Equal(0, await serving.WaitAsync(VerdictAssert.CheckDeadline));
    }

    [Fact]
    public async Task GuardrailExecutable_Serve_StopsOnSigterm()
    {
        // Kubernetes stops a pod with SIGTERM; `guardrail serve` once stopped its web host on it and then waited forever.
        NativeTestRuntime.EnsureInitialized();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "guardrail.dll"), "serve", "--model", TestAssets.ScriptedGenerator.Path, "--port", "0", "--parallel", "1", "--gpu-layers", "0", "--context", "512", "--threads", "1" },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(VerdictAssert.CheckDeadline);
            Assert.True(line is not null && line.StartsWith("serving ", StringComparison.Ordinal), $"{line}\n{(process.HasExited ? await error : string.Empty)}");

            var (killExitCode, killOutput) = await ExternalProcess.RunAsync("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(killExitCode == 0, killOutput);
            await process.WaitForExitAsync().WaitAsync(VerdictAssert.CheckDeadline);

            Assert.True(process.ExitCode == 0, await error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public void Serve_PublicAddressWithoutApiKey_RefusesToStart()
    {
        var error = new StringWriter();
        var root = new RootCommand("test") { ServeCommand.Create(NullLoggerFactory.Instance) };

        var exitCode = root.Parse(["serve", "--model", TestAssets.ScriptedGenerator.Path, "--host", "0.0.0.0"]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(2, exitCode);
        Assert.Contains(ServeCommand.ApiKeyVariable, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--parallel", "0", "Parallel must be 1 to 64")]
    [InlineData("--context", "10", "ContextSize must be 64 to 131072")]
    [InlineData("--port", "70000", "--port must be 0 to 65535")]
    public void Serve_BadValue_ExitsWithUsageNamingIt(string option, string value, string message)
    {
        var error = new StringWriter();
        var root = new RootCommand("test") { ServeCommand.Create(NullLoggerFactory.Instance) };

        var exitCode = root.Parse(["serve", "--model", TestAssets.ScriptedGenerator.Path, option, value]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(2, exitCode);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_MissingModelFile_ExitsWithUsageNamingIt()
    {
        var error = new StringWriter();
        var root = new RootCommand("test") { ServeCommand.Create(NullLoggerFactory.Instance) };

        var exitCode = root.Parse(["serve", "--model", "/nonexistent/model.gguf"]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(2, exitCode);
        Assert.Contains("'/nonexistent/model.gguf' does not exist", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Captures output and signals its first line (the serving address), written from the command's own thread.</summary>
    private sealed class LineWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Encoding Encoding => Encoding.UTF8;

        public Task<string> FirstLine => _firstLine.Task;

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
                if (value == '\n')
                {
                    _firstLine.TrySetResult(_text.ToString().TrimEnd());
                }
            }
        }
    }
}
