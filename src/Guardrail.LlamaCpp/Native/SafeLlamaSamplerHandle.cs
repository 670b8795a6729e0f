namespace Guardrail.LlamaCpp.Native;

/// <summary>Owns a <c>llama_sampler</c> chain; the samplers added to it are freed with it.</summary>
internal sealed class SafeLlamaSamplerHandle : System.Runtime.InteropServices.SafeHandle
{
    private SafeLlamaSamplerHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>An empty chain.</summary>
    public static SafeLlamaSamplerHandle CreateChain()
    {
        var parameters = LlamaNative.llama_sampler_chain_default_params();
        parameters.no_perf = true;
        var owner = new SafeLlamaSamplerHandle();
        var raw = LlamaNative.llama_sampler_chain_init(parameters);
        if (raw == 0)
        {
            throw new Inference.LlamaInferenceException("llama_sampler_chain_init returned no sampler chain.");
        }

        owner.SetHandle(raw);
        return owner;
    }

    /// <summary>Appends a sampler; the chain takes ownership of it.</summary>
    public void Add(nint sampler)
    {
        if (sampler == 0)
        {
            throw new Inference.LlamaInferenceException("llama.cpp could not create a sampler.");
        }

        LlamaNative.llama_sampler_chain_add(this, sampler);
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_sampler_free(handle);
        return true;
    }
}
