using System.Runtime.InteropServices;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.LlamaCpp.Native;

// Field-for-field mirrors of llama.h (llama.cpp v0.5.0, node-llama-cpp 3.22.1). Field names are the C names so that
// NativeLayoutTests can compare every offset with what gcc computes from the header; any change here must follow the
// header exactly, in order.
#pragma warning disable SA1300, IDE1006, SA1307 // C field names on purpose.

/// <summary><c>struct llama_model_params</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaModelParams
{
    public nint devices;
    public nint tensor_buft_overrides;
    public int n_gpu_layers;
    public LlamaSplitMode split_mode;
    public LlamaLoadMode load_mode;
    public LlamaLazyMode lazy_mode;
    public int main_gpu;
    public float* tensor_split;
    public delegate* unmanaged[Cdecl]<float, void*, NativeBool> progress_callback;
    public void* progress_callback_user_data;
    public nint kv_overrides;
    public NativeBool vocab_only;
    public NativeBool check_tensors;
    public NativeBool use_extra_bufts;
    public NativeBool no_host;
    public NativeBool no_alloc;
    public NativeBool load_mtp;
}

/// <summary><c>struct llama_context_params</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaContextParams
{
    public uint n_ctx;
    public uint n_batch;
    public uint n_ubatch;
    public uint n_seq_max;
    public uint n_rs_seq;
    public uint n_outputs_max;
    public uint n_outputs_max_per_seq;
    public int n_threads;
    public int n_threads_batch;
    public LlamaContextType ctx_type;
    public LlamaRopeScalingType rope_scaling_type;
    public LlamaPoolingType pooling_type;
    public LlamaAttentionType attention_type;
    public LlamaFlashAttentionType flash_attn_type;
    public float rope_freq_base;
    public float rope_freq_scale;
    public float yarn_ext_factor;
    public float yarn_attn_factor;
    public float yarn_beta_fast;
    public float yarn_beta_slow;
    public uint yarn_orig_ctx;
    public float defrag_thold;
    public nint cb_eval;
    public void* cb_eval_user_data;
    public GgmlType type_k;
    public GgmlType type_v;
    public delegate* unmanaged[Cdecl]<void*, NativeBool> abort_callback;
    public void* abort_callback_data;
    public NativeBool embeddings;
    public NativeBool offload_kqv;
    public NativeBool no_perf;
    public NativeBool op_offload;
    public NativeBool swa_full;
    public NativeBool kv_unified;
    public nint samplers;
    public nuint n_samplers;
    public nint ctx_other;
}

/// <summary><c>struct llama_batch</c>: arrays allocated by <c>llama_batch_init</c>, owned by <see cref="SafeLlamaBatchHandle"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaNativeBatch
{
    public int n_tokens;
    public int* token;
    public float* embd;
    public int* pos;
    public int* n_seq_id;
    public int** seq_id;
    public sbyte* logits;
}

/// <summary><c>struct llama_model_quantize_params</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelQuantizeParams
{
    public int nthread;
    public LlamaFileType ftype;
    public GgmlType output_tensor_type;
    public GgmlType token_embedding_type;
    public NativeBool allow_requantize;
    public NativeBool quantize_output_tensor;
    public NativeBool only_copy;
    public NativeBool pure;
    public NativeBool keep_split;
    public NativeBool dry_run;
    public nint imatrix;
    public nint kv_overrides;
    public nint tt_overrides;
    public nint prune_layers;
    public nuint max_buf_size;
}

/// <summary><c>struct llama_perf_context_data</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaPerfContextData
{
    public double t_start_ms;
    public double t_load_ms;
    public double t_p_eval_ms;
    public double t_eval_ms;
    public int n_p_eval;
    public int n_eval;
    public int n_reused;
}

/// <summary><c>struct llama_sampler_chain_params</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaSamplerChainParams
{
    public NativeBool no_perf;
}

#pragma warning restore SA1300, IDE1006, SA1307
