using System.Runtime.InteropServices;

namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// The llama.cpp C API (libllama.v0.5.0.so) as used by Guardrail. The library name is resolved to a file in the
/// runtime directory by <see cref="NativeLibraryResolver"/>; nothing here may be called before
/// <see cref="NativeRuntime.Initialize"/> has succeeded.
/// </summary>
internal static unsafe partial class LlamaNative
{
    public const string Library = "llama";

    /// <summary>Exports that must exist for this binding to be safe to call; checked before the first call.</summary>
    public static readonly IReadOnlyList<string> RequiredExports =
    [
        "llama_backend_init", "llama_log_set", "llama_model_default_params", "llama_context_default_params",
        "llama_model_quantize_default_params", "llama_model_load_from_file", "llama_model_free", "llama_init_from_model",
        "llama_free", "llama_model_get_vocab", "llama_model_n_layer", "llama_model_n_embd", "llama_model_n_head",
        "llama_model_n_head_kv", "llama_model_n_ctx_train", "llama_model_n_params", "llama_model_size", "llama_model_desc",
        "llama_model_meta_val_str", "llama_vocab_n_tokens", "llama_vocab_type", "llama_vocab_bos", "llama_vocab_eos",
        "llama_vocab_eot", "llama_vocab_is_eog", "llama_vocab_get_text", "llama_tokenize", "llama_token_to_piece",
        "llama_detokenize", "llama_batch_init", "llama_batch_free", "llama_decode", "llama_get_logits_ith",
        "llama_get_memory", "llama_memory_clear", "llama_memory_seq_rm", "llama_memory_seq_cp", "llama_memory_seq_pos_max",
        "llama_n_ctx", "llama_n_batch", "llama_n_seq_max", "llama_set_abort_callback", "llama_perf_context",
        "llama_perf_context_reset", "llama_synchronize", "llama_model_quantize", "llama_supports_gpu_offload", "llama_print_system_info",
        "llama_sampler_chain_default_params", "llama_sampler_chain_init", "llama_sampler_chain_add", "llama_sampler_free",
        "llama_sampler_sample", "llama_sampler_init_greedy", "llama_sampler_init_dist", "llama_sampler_init_top_k",
        "llama_sampler_init_top_p", "llama_sampler_init_min_p", "llama_sampler_init_temp", "llama_sampler_init_penalties",
    ];

    [LibraryImport(Library)]
    public static partial void llama_backend_init();

    [LibraryImport(Library)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<GgmlLogLevel, byte*, void*, void> callback, void* userData);

    [LibraryImport(Library)]
    public static partial LlamaModelParams llama_model_default_params();

    [LibraryImport(Library)]
    public static partial LlamaContextParams llama_context_default_params();

    [LibraryImport(Library)]
    public static partial LlamaModelQuantizeParams llama_model_quantize_default_params();

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_supports_gpu_offload();

    [LibraryImport(Library)]
    public static partial nint llama_print_system_info();

    // Model

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint llama_model_load_from_file(string path, LlamaModelParams parameters);

    [LibraryImport(Library)]
    public static partial void llama_model_free(nint model);

    [LibraryImport(Library)]
    public static partial nint llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial int llama_model_n_layer(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial int llama_model_n_head(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial int llama_model_n_head_kv(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial ulong llama_model_size(SafeLlamaModelHandle model);

    [LibraryImport(Library)]
    public static partial int llama_model_desc(SafeLlamaModelHandle model, byte* buffer, nuint bufferSize);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_model_meta_val_str(SafeLlamaModelHandle model, string key, byte* buffer, nuint bufferSize);

    // Vocabulary (the vocab pointer is owned by its model and lives as long as it)

    [LibraryImport(Library)]
    public static partial int llama_vocab_n_tokens(nint vocab);

    [LibraryImport(Library)]
    public static partial LlamaVocabType llama_vocab_type(nint vocab);

    [LibraryImport(Library)]
    public static partial int llama_vocab_bos(nint vocab);

    [LibraryImport(Library)]
    public static partial int llama_vocab_eos(nint vocab);

    [LibraryImport(Library)]
    public static partial int llama_vocab_eot(nint vocab);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(nint vocab, int token);

    [LibraryImport(Library)]
    public static partial byte* llama_vocab_get_text(nint vocab, int token);

    [LibraryImport(Library)]
    public static partial int llama_tokenize(
        nint vocab,
        byte* text,
        int textLength,
        int* tokens,
        int maxTokens,
        [MarshalAs(UnmanagedType.U1)] bool addSpecial,
        [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(Library)]
    public static partial int llama_token_to_piece(
        nint vocab,
        int token,
        byte* buffer,
        int length,
        int lstrip,
        [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(Library)]
    public static partial int llama_detokenize(
        nint vocab,
        int* tokens,
        int tokenCount,
        byte* text,
        int maxLength,
        [MarshalAs(UnmanagedType.U1)] bool removeSpecial,
        [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);

    // Context

    [LibraryImport(Library)]
    public static partial nint llama_init_from_model(SafeLlamaModelHandle model, LlamaContextParams parameters);

    [LibraryImport(Library)]
    public static partial void llama_free(nint context);

    [LibraryImport(Library)]
    public static partial uint llama_n_ctx(SafeLlamaContextHandle context);

    [LibraryImport(Library)]
    public static partial uint llama_n_batch(SafeLlamaContextHandle context);

    [LibraryImport(Library)]
    public static partial uint llama_n_seq_max(SafeLlamaContextHandle context);

    [LibraryImport(Library)]
    public static partial void llama_set_abort_callback(SafeLlamaContextHandle context, delegate* unmanaged[Cdecl]<void*, NativeBool> callback, void* data);

    [LibraryImport(Library)]
    public static partial int llama_decode(SafeLlamaContextHandle context, LlamaNativeBatch batch);

    [LibraryImport(Library)]
    public static partial float* llama_get_logits_ith(SafeLlamaContextHandle context, int index);

    [LibraryImport(Library)]
    public static partial void llama_synchronize(SafeLlamaContextHandle context);

    [LibraryImport(Library)]
    public static partial LlamaPerfContextData llama_perf_context(SafeLlamaContextHandle context);

    [LibraryImport(Library)]
    public static partial void llama_perf_context_reset(SafeLlamaContextHandle context);

    // Memory (KV cache). The memory pointer belongs to its context.

    [LibraryImport(Library)]
    public static partial nint llama_get_memory(SafeLlamaContextHandle context);

    [LibraryImport(Library)]
    public static partial void llama_memory_clear(nint memory, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(nint memory, int sequence, int p0, int p1);

    [LibraryImport(Library)]
    public static partial void llama_memory_seq_cp(nint memory, int source, int destination, int p0, int p1);

    [LibraryImport(Library)]
    public static partial int llama_memory_seq_pos_max(nint memory, int sequence);

    // Batch

    [LibraryImport(Library)]
    public static partial LlamaNativeBatch llama_batch_init(int tokenCapacity, int embedding, int maxSequencesPerToken);

    [LibraryImport(Library)]
    public static partial void llama_batch_free(LlamaNativeBatch batch);

    // Quantization

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint llama_model_quantize(string inputPath, string outputPath, LlamaModelQuantizeParams* parameters);

    // Sampling. A chain owns the samplers added to it; only the chain is freed.

    [LibraryImport(Library)]
    public static partial LlamaSamplerChainParams llama_sampler_chain_default_params();

    [LibraryImport(Library)]
    public static partial nint llama_sampler_chain_init(LlamaSamplerChainParams parameters);

    [LibraryImport(Library)]
    public static partial void llama_sampler_chain_add(SafeLlamaSamplerHandle chain, nint sampler);

    [LibraryImport(Library)]
    public static partial void llama_sampler_free(nint sampler);

    [LibraryImport(Library)]
    public static partial int llama_sampler_sample(SafeLlamaSamplerHandle sampler, SafeLlamaContextHandle context, int index);

    [LibraryImport(Library)]
    public static partial nint llama_sampler_init_greedy();

    [LibraryImport(Library)]
    public static partial nint llama_sampler_init_dist(uint seed);

    [LibraryImport(Library)]
    public static partial nint llama_sampler_init_top_k(int k);

    [LibraryImport(Library)]
    public static partial nint llama_sampler_init_top_p(float p, nuint minKeep);

    [LibraryImport(Library)]
    public static partial nint llama_sampler_init_min_p(float p, nuint minKeep);

    [LibraryImport(Library)]
    public static partial nint llama_sampler_init_temp(float temperature);

    [LibraryImport(Library)]
    public static partial nint llama_sampler_init_penalties(int vocabSize, int lastN, float repeat, float frequency, float presence);
}
