using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// The hand-set weights of a one-layer llama model that says one of two fixed sentences (README, "The scripted
/// generator"). Attention copies whether a trigger token is anywhere in the context, as in the keyword guard; the
/// output matrix is a bigram table over each sentence's tokens, whose first token is a conjunction of "the current
/// token is an ordinary one" and "a trigger was seen" (or not).
/// </summary>
internal sealed class ScriptedGeneratorWeights : ILlamaTensorSource
{
    /// <summary>Logit of the intended next token; every other token has 0 or less.</summary>
    public const float Margin = 50f;

    /// <summary>Attention score of a trigger over an ordinary token.</summary>
    public const float TriggerScore = 60f;

    private const int Constant = 0;
    private const int Other = 1;
    private const int Unseen = 2;
    private const int Seen = 3;
    private const int Flag = 4;
    private const int FirstSentenceDimension = 5;

    private const int UnseenValue = 0;
    private const int SeenValue = 1;

    private readonly ScriptedGeneratorPlan _plan;
    private readonly int[] _dimensionOfToken;

    /// <summary>For each sentence token after the first, the state dimension of the token before it.</summary>
    private readonly Dictionary<int, int> _stateOfNextToken = [];

    public ScriptedGeneratorWeights(ScriptedGeneratorPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        _dimensionOfToken = new int[plan.VocabularySize];
        Array.Fill(_dimensionOfToken, Other);
        foreach (var token in plan.TriggerTokens)
        {
            _dimensionOfToken[token] = Flag;
        }

        var dimension = FirstSentenceDimension;
        foreach (var sentence in new[] { plan.AnswerTokens, plan.FlaggedTokens })
        {
            for (var i = 0; i < sentence.Count; i++)
            {
                _dimensionOfToken[sentence[i]] = dimension++;
                if (i > 0)
                {
                    _stateOfNextToken[sentence[i]] = _dimensionOfToken[sentence[i - 1]];
                }
            }
        }
    }

    public LlamaHyperParameters Shape => HandWeightedTensors.Shape(_plan.VocabularySize);

    public GgmlType TypeOf(LlamaTensorSpec tensor) => HandWeightedTensors.TypeOf(tensor);

    public void Write(LlamaTensorSpec tensor, GgufWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(writer);
        const int width = HandWeightedTensors.Width;
        switch (tensor.Role)
        {
            case LlamaTensorRole.Norm:
                // An embedding has two ones (constant, state); the final residual three (and unseen or seen).
                HandWeightedTensors.WriteNorm(tensor, writer, embeddingOnes: 2, outputOnes: 3);
                break;
            case LlamaTensorRole.TokenEmbedding:
                HandWeightedTensors.WriteRows(writer, _plan.VocabularySize, EmbeddingRow, cancellationToken);
                break;
            case LlamaTensorRole.Output:
                HandWeightedTensors.WriteRows(writer, _plan.VocabularySize, OutputRow, cancellationToken);
                break;
            case LlamaTensorRole.AttentionQuery:
                // llama.cpp scales scores by 1/sqrt(head size); this undoes it so a key's value is its score.
                HandWeightedTensors.WriteRows(writer, width, static (output, row) => row[Constant] = output == HandWeightedTensors.AttentionChannel ? MathF.Sqrt(width) : 0f, cancellationToken);
                break;
            case LlamaTensorRole.AttentionKey:
                HandWeightedTensors.WriteRows(writer, width, static (output, row) => row[Flag] = output == HandWeightedTensors.AttentionChannel ? TriggerScore : 0f, cancellationToken);
                break;
            case LlamaTensorRole.AttentionValue:
                HandWeightedTensors.WriteRows(writer, width, static (output, row) =>
                {
                    if (output == UnseenValue)
                    {
                        row[Constant] = 1f;
                        row[Flag] = -1f;
                    }
                    else if (output == SeenValue)
                    {
                        row[Flag] = 1f;
                    }
                }, cancellationToken);
                break;
            case LlamaTensorRole.AttentionOutput:
                HandWeightedTensors.WriteRows(writer, width, static (output, row) =>
                {
                    if (output == Unseen)
                    {
                        row[UnseenValue] = 1f;
                    }
                    else if (output == Seen)
                    {
                        row[SeenValue] = 1f;
                    }
                }, cancellationToken);
                break;
            default:
                // Gate, up and down: the feed-forward network contributes nothing.
                HandWeightedTensors.WriteRows(writer, (int)tensor.Dimensions[1], static (_, _) => { }, cancellationToken);
                break;
        }
    }

    private void EmbeddingRow(int token, Span<float> row)
    {
        row[Constant] = 1f;
        row[_dimensionOfToken[token]] = 1f;
    }

    private void OutputRow(int token, Span<float> row)
    {
        if (token == _plan.AnswerTokens[0] || token == _plan.FlaggedTokens[0])
        {
            // After any ordinary token (the prompt's last): the answer when nothing was seen, the flagged one when a trigger was.
            row[Other] = Margin;
            row[Flag] = Margin;
            row[token == _plan.AnswerTokens[0] ? Unseen : Seen] = Margin;
            row[Constant] = -Margin;
        }
        else if (_stateOfNextToken.TryGetValue(token, out var previous))
        {
            row[previous] = Margin;
        }
        else if (token == _plan.EndOfTurnToken)
        {
            row[_dimensionOfToken[_plan.AnswerTokens[^1]]] = Margin;
            row[_dimensionOfToken[_plan.FlaggedTokens[^1]]] = Margin;
        }
    }
}
