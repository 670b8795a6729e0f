using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// The hand-set weights of a one-layer llama model that answers like Llama Guard from trigger tokens. The invariants
/// are written down in <c>Synthesis/README.md</c>; in short:
/// <list type="bullet">
/// <item>Every token embedding is the constant dimension plus exactly one other dimension, both 1, so every
/// embedding has the same norm and the attention RMS norm maps it to exactly those two ones.</item>
/// <item>One attention head: the query reads the constant, the key reads the token's trigger flag with a per-set
/// score (earlier sets higher), both in the last dimension of the head, which sits in the last rotary pair whose
/// rotation angle is zero for practical purposes under a base frequency of 1e30. A trigger anywhere in the context
/// takes the whole softmax.</item>
/// <item>The value is <c>constant - flags</c> in an "unseen" channel and the flag of set i in a "seen i" channel;
/// the output projection copies them into the residual. So the residual holds either "unseen" or "seen i" at 1,
/// and its norm is the same with or without triggers.</item>
/// <item>The feed-forward weights are zero. The output matrix is a bigram table over the current token's state
/// dimension, where the answer steps are conjunctions <c>state + condition - constant</c>: 1 when both hold, 0 or
/// less otherwise, times <see cref="Margin"/> so that the winner beats 128k zero logits.</item>
/// </list>
/// </summary>
internal sealed class KeywordGuardWeights : ILlamaTensorSource
{
    /// <summary>Logit of the intended next token; every other token has 0 or less, so P(other) &lt; 128256 e^-50.</summary>
    public const float Margin = 50f;

    /// <summary>Attention score of a trigger of the lowest-priority set over an ordinary token.</summary>
    public const float TriggerScore = 60f;

    /// <summary>Extra score per rank of priority, so that the first set listed wins a prompt with several.</summary>
    public const float PriorityStep = 12f;

    private const int Width = HandWeightedTensors.Width;
    private const int Constant = 0;
    private const int Other = 1;
    private const int Unseen = 2;
    private const int AnswerState = 3;
    private const int SafeState = 4;
    private const int UnsafeState = 5;
    private const int NewlineState = 6;
    private const int PrefixState = 7;
    private const int FirstSetDimension = 8;

    // Head space (the only head spans the whole width); the last dimension is the second of the last rotary pair.
    private const int AttentionChannel = HandWeightedTensors.AttentionChannel;
    private const int UnseenValue = 0;

    private readonly KeywordGuardPlan _plan;
    private readonly int[] _dimensionOfToken;

    public KeywordGuardWeights(KeywordGuardPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Sets.Count > KeywordGuardSpec.MaxTriggerSets)
        {
            throw new ArgumentException($"A keyword guard holds at most {KeywordGuardSpec.MaxTriggerSets} trigger sets.", nameof(plan));
        }

        _plan = plan;
        _dimensionOfToken = new int[plan.VocabularySize];
        Array.Fill(_dimensionOfToken, Other);
        _dimensionOfToken[plan.AnswerToken] = AnswerState;
        _dimensionOfToken[plan.SafeToken] = SafeState;
        _dimensionOfToken[plan.UnsafeToken] = UnsafeState;
        _dimensionOfToken[plan.NewlineToken] = NewlineState;
        _dimensionOfToken[plan.CategoryPrefixToken] = PrefixState;
        for (var set = 0; set < plan.Sets.Count; set++)
        {
            _dimensionOfToken[plan.Sets[set].CodeToken] = CodeState(set);
            foreach (var (token, _) in plan.Sets[set].TriggerTokens)
            {
                _dimensionOfToken[token] = Flag(set);
            }
        }
    }

    /// <summary>The model's shape: one block, one head as wide as the residual, a nominal zero feed-forward.</summary>
    public LlamaHyperParameters Shape => HandWeightedTensors.Shape(_plan.VocabularySize);

    public GgmlType TypeOf(LlamaTensorSpec tensor) => HandWeightedTensors.TypeOf(tensor);

    public void Write(LlamaTensorSpec tensor, GgufWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(writer);
        switch (tensor.Role)
        {
            case LlamaTensorRole.Norm:
                // An embedding has two ones; the final residual three (constant, state, and unseen or seen i).
                HandWeightedTensors.WriteNorm(tensor, writer, embeddingOnes: 2, outputOnes: 3);
                break;
            case LlamaTensorRole.TokenEmbedding:
                WriteRows(writer, _plan.VocabularySize, EmbeddingRow, cancellationToken);
                break;
            case LlamaTensorRole.Output:
                WriteRows(writer, _plan.VocabularySize, OutputRow, cancellationToken);
                break;
            case LlamaTensorRole.AttentionQuery:
                WriteRows(writer, Width, QueryRow, cancellationToken);
                break;
            case LlamaTensorRole.AttentionKey:
                WriteRows(writer, Width, KeyRow, cancellationToken);
                break;
            case LlamaTensorRole.AttentionValue:
                WriteRows(writer, Width, ValueRow, cancellationToken);
                break;
            case LlamaTensorRole.AttentionOutput:
                WriteRows(writer, Width, AttentionOutputRow, cancellationToken);
                break;
            default:
                // Gate, up and down: the feed-forward network contributes nothing.
                WriteRows(writer, (int)tensor.Dimensions[1], static (_, _) => { }, cancellationToken);
                break;
        }
    }

    private static int Flag(int set) => FirstSetDimension + (3 * set);

    private static int Seen(int set) => FirstSetDimension + (3 * set) + 1;

    private static int CodeState(int set) => FirstSetDimension + (3 * set) + 2;

    private void EmbeddingRow(int token, Span<float> row)
    {
        row[Constant] = 1f;
        row[_dimensionOfToken[token]] = 1f;
    }

    private static void QueryRow(int output, Span<float> row)
    {
        // llama.cpp scales scores by 1/sqrt(head size); this undoes it so a key's value is its score.
        if (output == AttentionChannel)
        {
            row[Constant] = MathF.Sqrt(Width);
        }
    }

    private void KeyRow(int output, Span<float> row)
    {
        if (output != AttentionChannel)
        {
            return;
        }

        var sets = _plan.Sets.Count;
        for (var set = 0; set < sets; set++)
        {
            row[Flag(set)] = TriggerScore + (PriorityStep * (sets - 1 - set));
        }
    }

    private void ValueRow(int output, Span<float> row)
    {
        var sets = _plan.Sets.Count;
        if (output == UnseenValue)
        {
            row[Constant] = 1f;
            for (var set = 0; set < sets; set++)
            {
                row[Flag(set)] = -1f;
            }
        }
        else if (output - 1 < sets)
        {
            row[Flag(output - 1)] = 1f;
        }
    }

    private void AttentionOutputRow(int output, Span<float> row)
    {
        if (output == Unseen)
        {
            row[UnseenValue] = 1f;
            return;
        }

        for (var set = 0; set < _plan.Sets.Count; set++)
        {
            if (output == Seen(set))
            {
                row[1 + set] = 1f;
            }
        }
    }

    private void OutputRow(int token, Span<float> row)
    {
        var sets = _plan.Sets.Count;
        if (token == _plan.SafeToken)
        {
            // \n\n and nothing seen.
            row[AnswerState] = Margin;
            row[Unseen] = Margin;
            row[Constant] = -Margin;
        }
        else if (token == _plan.UnsafeToken)
        {
            // \n\n and any set seen.
            row[AnswerState] = Margin;
            for (var set = 0; set < sets; set++)
            {
                row[Seen(set)] = Margin;
            }

            row[Constant] = -Margin;
        }
        else if (token == _plan.NewlineToken)
        {
            row[UnsafeState] = Margin;
        }
        else if (token == _plan.CategoryPrefixToken)
        {
            row[NewlineState] = Margin;
        }
        else if (token == _plan.EndOfTurnToken)
        {
            row[SafeState] = Margin;
            for (var set = 0; set < sets; set++)
            {
                row[CodeState(set)] = Margin;
            }
        }

        for (var set = 0; set < sets; set++)
        {
            if (token == _plan.Sets[set].CodeToken)
            {
                // S and this set seen, minus every other set: a code cannot win at \n\n, nor for another set.
                row[PrefixState] = Margin;
                for (var other = 0; other < sets; other++)
                {
                    row[Seen(other)] = other == set ? Margin : -Margin;
                }

                row[Constant] = -Margin;
            }
        }
    }

    private static void WriteRows(GgufWriter writer, int rows, Action<int, Span<float>> fill, CancellationToken cancellationToken) =>
        HandWeightedTensors.WriteRows(writer, rows, fill, cancellationToken);
}
