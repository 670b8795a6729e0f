using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.LlamaCpp.Tests.Native;

public sealed class NativeRuntimeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Initialize_MissingDirectory_ThrowsActionableError()
    {
        var missing = _temp.File("no-such-runtime");

        var ex = Assert.Throws<NativeRuntimeException>(() =>
            NativeRuntime.Initialize(new NativeRuntimeOptions { RuntimeDirectory = missing }, NullLoggerFactory.Instance));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains(NativeRuntimeLocator.InstallScript, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initialize_DirectoryWithoutLibraries_ListsWhatIsMissing()
    {
        var ex = Assert.Throws<NativeRuntimeException>(() =>
            NativeRuntime.Initialize(new NativeRuntimeOptions { RuntimeDirectory = _temp.Path }, NullLoggerFactory.Instance));

        Assert.Contains("libllama.v0.5.0.so or libllama.cuda.v0.5.0.so is missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("libggml-base.so is missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no CPU backend", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initialize_OtherRelease_NamesTheMismatch()
    {
        File.WriteAllText(_temp.File("libllama.v0.4.0.so"), string.Empty);
        File.WriteAllText(_temp.File("MANIFEST"), "package=@node-llama-cpp/linux-x64 version=3.0.0 llama.cpp=v0.4.0\n");

        var ex = Assert.Throws<NativeRuntimeException>(() =>
            NativeRuntime.Initialize(new NativeRuntimeOptions { RuntimeDirectory = _temp.Path }, NullLoggerFactory.Instance));

        Assert.Contains("libllama.v0.4.0.so, a different llama.cpp release", ex.Message, StringComparison.Ordinal);
        Assert.Contains("version=3.0.0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initialize_RequireGpuWithoutCuda_FailsNamingMissingLibraries()
    {
        var ex = Assert.Throws<NativeRuntimeException>(() =>
            NativeRuntime.Initialize(new NativeRuntimeOptions { RuntimeDirectory = TestAssets.CpuRuntimeDirectory, RequireGpu = true }, NullLoggerFactory.Instance));

        Assert.Contains("libggml-cuda.so", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--cuda", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initialize_Twice_ReturnsTheSameRuntime()
    {
        var first = NativeTestRuntime.EnsureInitialized();

        var second = NativeRuntime.Initialize(new NativeRuntimeOptions(), NullLoggerFactory.Instance);

        Assert.Same(first, second);
        Assert.Same(first, NativeRuntime.Current);
        Assert.Equal("v0.5.0", second.LlamaCppRelease);
        Assert.Contains(second.Devices, d => d.Kind == "Cpu");
    }

    [Fact]
    public void Initialize_UseGpuWithoutCuda_FallsBackToCpu()
    {
        var cpu = NativeTestRuntime.EnsureInitialized();

        var info = NativeRuntime.Initialize(new NativeRuntimeOptions { UseGpu = true }, NullLoggerFactory.Instance);

        Assert.Same(cpu, info);
        Assert.False(info.GpuAvailable);
    }

    [Fact]
    public void Initialize_ConcurrentCalls_AllSucceedWithOneRuntime()
    {
        var results = new NativeRuntimeInfo[8];

        Parallel.For(0, results.Length, i => results[i] = NativeTestRuntime.EnsureInitialized());

        Assert.All(results, r => Assert.Same(results[0], r));
    }

    [Fact]
    public void Initialize_OtherValidDirectoryAfterStart_ThrowsInvalidOperation()
    {
        NativeTestRuntime.EnsureInitialized();
        var copy = Directory.CreateDirectory(_temp.File("copy")).FullName;
        foreach (var file in Directory.GetFiles(TestAssets.CpuRuntimeDirectory))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        var ex = Assert.Throws<InvalidOperationException>(() =>
            NativeRuntime.Initialize(new NativeRuntimeOptions { RuntimeDirectory = copy }, NullLoggerFactory.Instance));

        Assert.Contains("only one runtime", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeDirectory_CacheVariableSet_IsUnderThatCache()
    {
        // The test environment points GUARDRAIL_CACHE_DIR at the checkout's .cache (Guardrail.Testing.TestEnvironment).
        var cache = Environment.GetEnvironmentVariable(NativeRuntimeLocator.CacheDirVariable);

        Assert.False(string.IsNullOrWhiteSpace(cache));
        if (Environment.GetEnvironmentVariable(NativeRuntimeLocator.RuntimeDirVariable) is null)
        {
            Assert.Equal(Path.Combine(Path.GetFullPath(cache), "llama", "runtime", "cpu"), NativeRuntimeLocator.RuntimeDirectory(gpu: false));
            Assert.Equal(Path.Combine(Path.GetFullPath(cache), "llama", "runtime", "cuda"), NativeRuntimeLocator.RuntimeDirectory(gpu: true));
        }

        Assert.Equal(Path.Combine(Path.GetFullPath(cache), "llama", "vocab"), NativeRuntimeLocator.VocabDirectory());
    }
}
