using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Guardrail.LlamaCpp.Tests.TestSupport;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;

namespace Guardrail.LlamaCpp.Tests.Native;

public sealed class LlamaLogBridgeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(4, LogLevel.Error)]
    [InlineData(3, LogLevel.Warning)]
    [InlineData(2, LogLevel.Debug)]
    [InlineData(1, LogLevel.Trace)]
    public void Map_NativeLevel_GivesLoggerLevel(int ggmlLevel, LogLevel expected)
    {
        Assert.Equal(expected, LlamaLogBridge.Map((GgmlLogLevel)ggmlLevel));
    }

    [Fact]
    public void Install_NativeLoadFailure_IsLoggedAndNamedInTheException()
    {
        NativeTestRuntime.EnsureInitialized();
        // Not disposed: the bridge is process-wide and native code may log through it after this test.
        var logs = new FakeLoggerProvider();
        var factory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        LlamaLogBridge.Install(factory);
        var path = GgufBytes.Header(0, 1).KvString("general.architecture", "llama").WriteTo(_temp.File("no-tokenizer.gguf"));

        var ex = Assert.Throws<LlamaInferenceException>(() => LlamaModel.Load(path, new LlamaModelLoadOptions { VocabOnly = true }));

        var errors = logs.Collector.GetSnapshot().Where(e => e.Category == LlamaLogBridge.CategoryName && e.Level == LogLevel.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.False(e.Message.EndsWith('\n')));
        Assert.Contains(errors[^1].Message, ex.Message, StringComparison.Ordinal);
    }
}
