using System.Text;
using Guardrail.Conversations;

namespace Guardrail.Cli.Evaluation;

/// <summary>
/// Reads back the conversation as the audit log stores it for reviewers (<c>ModerationPipeline.RenderForReview</c>):
/// paragraphs <c>System: </c>, <c>User: </c> and <c>Agent: </c>, separated by a blank line. A paragraph without a
/// label belongs to the turn before it (content may hold blank lines); text that starts without one is a user turn.
/// </summary>
internal static class ReviewTextParser
{
    private const string System = "System: ";
    private const string User = "User: ";
    private const string Agent = "Agent: ";

    public static Conversation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new ConversationBuilder();
        string? label = null;
        var turn = new StringBuilder();

        void Flush()
        {
            if (label is null && turn.Length == 0)
            {
                return;
            }

            var content = turn.ToString();
            switch (label)
            {
                case System:
                    builder.AddSystem(content);
                    break;
                case Agent:
                    builder.AddAssistant(content);
                    break;
                default:
                    builder.AddUser(content);
                    break;
            }

            turn.Clear();
        }

        foreach (var paragraph in text.ReplaceLineEndings("\n").Split("\n\n"))
        {
            var next = paragraph.StartsWith(System, StringComparison.Ordinal) ? System
                : paragraph.StartsWith(User, StringComparison.Ordinal) ? User
                : paragraph.StartsWith(Agent, StringComparison.Ordinal) ? Agent
                : null;
            if (next is null)
            {
                if (turn.Length > 0 || label is not null)
                {
                    turn.Append("\n\n");
                }

                turn.Append(paragraph);
                continue;
            }

            Flush();
            label = next;
            turn.Append(paragraph.AsSpan(next.Length));
        }

        Flush();
        return builder.Build();
    }
}
