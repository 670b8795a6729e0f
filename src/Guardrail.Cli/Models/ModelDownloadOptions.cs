namespace Guardrail.Cli.Models;

/// <summary>Limits of one download. Defaults suit a multi-gigabyte file over a slow link.</summary>
internal sealed record ModelDownloadOptions
{
    /// <summary>Longest wait for a TCP (and TLS) connection. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for a response's headers once connected. Default 60 s.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest time the body may send nothing before the transfer counts as broken off. Default 60 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Redirects followed (Hugging Face uses one or two: a renamed repository, then its CDN). 1 to 20, default 10.</summary>
    public int MaxRedirects { get; init; } = 10;

    /// <summary>Bytes read per copy step. 4 KiB to 16 MiB, default 1 MiB.</summary>
    public int BufferSize { get; init; } = 1 << 20;

    public static ModelDownloadOptions Default { get; } = new();

    /// <summary>Every problem with these options.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var (name, value) in new[] { (nameof(ConnectTimeout), ConnectTimeout), (nameof(ResponseTimeout), ResponseTimeout), (nameof(IdleTimeout), IdleTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"{name} must be positive.");
            }
        }

        if (MaxRedirects is < 1 or > 20)
        {
            problems.Add("MaxRedirects must be 1 to 20.");
        }

        if (BufferSize is < 4096 or > 16 << 20)
        {
            problems.Add("BufferSize must be 4 KiB to 16 MiB.");
        }

        return problems;
    }
}
