namespace Guardrail.Serving;

/// <summary>
/// Every log event id of this assembly (range 8000-8999; see <c>docs/operations.md</c>, "Log event ids"). A retired
/// id is never reused.
/// </summary>
internal static class ServingEventIds
{
    public const int ServerStarted = 8000;
    public const int GenerationFailed = 8001;
    public const int RequestRejected = 8002;
    public const int ClientGone = 8003;
}
