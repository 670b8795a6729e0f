using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Inference;

/// <summary>
/// A loaded llama-architecture GGUF model. The file is checked in managed code first, so a missing, truncated or
/// foreign file is a <see cref="GgufFormatException"/> (or <see cref="NotSupportedException"/> for another
/// architecture) and never reaches native code. Disposing releases the weights once no context uses them.
/// </summary>
internal sealed unsafe class LlamaModel : IDisposable
{
    public const string SupportedArchitecture = "llama";

    private int _disposed;

    private LlamaModel(string path, SafeLlamaModelHandle handle, LlamaModelInfo info, bool vocabOnly)
    {
        Path = path;
        Handle = handle;
        Info = info;
        IsVocabOnly = vocabOnly;
        Vocab = new LlamaVocab(this, handle);
    }

    public string Path { get; }

    public LlamaModelInfo Info { get; }

    public LlamaVocab Vocab { get; }

    public bool IsVocabOnly { get; }

    /// <summary>
    /// True after <see cref="Dispose"/>. The native model may live on while a context uses it, but this wrapper and
    /// its vocabulary are no longer usable.
    /// </summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal SafeLlamaModelHandle Handle { get; }

    /// <summary>Loads the model at <paramref name="path"/>; the runtime must be initialised.</summary>
    /// <exception cref="GgufFormatException">Missing, unreadable or malformed file.</exception>
    /// <exception cref="NotSupportedException">A GGUF of another architecture, or without weights when weights are needed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled during the load.</exception>
    /// <exception cref="LlamaInferenceException">llama.cpp refused the file.</exception>
    public static LlamaModel Load(string path, LlamaModelLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new LlamaModelLoadOptions();
        NativeRuntime.EnsureInitialized();
        cancellationToken.ThrowIfCancellationRequested();

        var fullPath = System.IO.Path.GetFullPath(path);
        var gguf = GgufReader.Read(fullPath);
        CheckSupported(gguf, options.VocabOnly);

        var parameters = LlamaNative.llama_model_default_params();
        parameters.n_gpu_layers = options.GpuLayers;
        parameters.vocab_only = options.VocabOnly;
        var state = new LoadState(options.Progress, cancellationToken);
        var stateHandle = GCHandle.Alloc(state);
        nint raw;
        try
        {
            parameters.progress_callback = &OnProgress;
            parameters.progress_callback_user_data = (void*)GCHandle.ToIntPtr(stateHandle);
            LlamaLogBridge.TakeLastError();
            raw = LlamaNative.llama_model_load_from_file(fullPath, parameters);
        }
        finally
        {
            stateHandle.Free();
        }

        if (raw == 0)
        {
            if (state.Error is not null)
            {
                throw new LlamaInferenceException($"Loading '{fullPath}' was aborted by the progress callback: {state.Error.Message}", state.Error);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var reason = LlamaLogBridge.TakeLastError();
            throw new LlamaInferenceException(
                $"llama.cpp could not load '{fullPath}'{(reason is null ? " (enable native logs for its reason)" : ": " + reason)}.");
        }

        var handle = new SafeLlamaModelHandle(raw);
        try
        {
            return new LlamaModel(fullPath, handle, Describe(fullPath, gguf, handle), options.VocabOnly);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        Handle.Dispose();
    }

    /// <summary>The managed checks of <see cref="Load"/> after the header is read; internal for the fuzz harness.</summary>
    internal static void CheckSupported(GgufFile gguf, bool vocabOnly)
    {
        var architecture = gguf.Architecture;
        if (architecture is null)
        {
            throw new NotSupportedException($"'{gguf.Source}' has no '{GgufConstants.ArchitectureKey}' metadata; it is not a llama.cpp model.");
        }

        if (!string.Equals(architecture, SupportedArchitecture, StringComparison.Ordinal))
        {
            throw new NotSupportedException(
                $"'{gguf.Source}' is a '{architecture}' model; only '{SupportedArchitecture}' models (Llama Guard 3 1B/8B) are supported.");
        }

        if (!vocabOnly && gguf.Tensors.Count == 0)
        {
            throw new NotSupportedException($"'{gguf.Source}' holds no weights (a vocabulary-only file); load it with VocabOnly = true.");
        }
    }

    private static LlamaModelInfo Describe(string path, GgufFile gguf, SafeLlamaModelHandle handle)
    {
        int Metadata(string suffix) => (int)Math.Clamp(gguf.TryGetInteger($"{SupportedArchitecture}.{suffix}") ?? 0, 0, int.MaxValue);

        var embedding = Metadata("embedding_length");
        var layers = Metadata("block_count");
        var heads = Metadata("attention.head_count");
        var kvHeads = gguf.TryGetInteger($"{SupportedArchitecture}.attention.head_count_kv") is null ? heads : Metadata("attention.head_count_kv");
        var feedForward = Metadata("feed_forward_length");
        var description = new byte[256];
        int written;
        fixed (byte* buffer = description)
        {
            written = LlamaNative.llama_model_desc(handle, buffer, (nuint)description.Length);
        }

        using var lease = new SafeHandleLease(handle);
        return new LlamaModelInfo
        {
            Name = gguf.TryGetString("general.name") ?? System.IO.Path.GetFileNameWithoutExtension(path),
            Architecture = gguf.Architecture!,
            Description = written > 0 ? System.Text.Encoding.UTF8.GetString(description, 0, Math.Min(written, description.Length - 1)) : string.Empty,
            LayerCount = layers,
            EmbeddingSize = embedding,
            FeedForwardSize = feedForward,
            HeadCount = heads,
            KvHeadCount = kvHeads,
            ContextLength = Metadata("context_length"),
            VocabSize = LlamaNative.llama_vocab_n_tokens(LlamaNative.llama_model_get_vocab(handle)),
            ParameterCount = gguf.Tensors.Sum(t => t.ElementCount),
            FileSizeBytes = gguf.FileSize,
            SizeClass = LlamaModelInfo.ClassifyShape(embedding, layers, heads, kvHeads, feedForward),
            Variant = ModelVariantDetector.Detect(gguf),
        };
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static NativeBool OnProgress(float progress, void* userData)
    {
        var state = (LoadState)GCHandle.FromIntPtr((nint)userData).Target!;
        if (state.Token.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            state.Progress?.Invoke(Math.Clamp(progress, 0f, 1f));
            return true;
        }
#pragma warning disable CA1031 // Nothing may unwind into native code; the exception is rethrown by Load.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            state.Error = ex;
            return false;
        }
    }

    private sealed class LoadState(Action<float>? progress, CancellationToken token)
    {
        public Action<float>? Progress { get; } = progress;

        public CancellationToken Token { get; } = token;

        public Exception? Error { get; set; }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Info.Name} ({Info.Description}, {Path})");
}
