using System.Text;
using CsCheck;
using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

/// <summary>
/// The seeded random-chunking tests above, as properties over hostile text, any chunking and any window: a safe
/// stream reaches the client byte for byte, and what a blocked stream released before its block is a prefix of the
/// backend's bytes holding none of the blocked text. CsCheck prints the seed of a failing case.
/// </summary>
public sealed partial class StreamModeratorTests
{
    private const int PropertyIterations = 150;

    private static readonly Gen<string[]> SafePieces =
        HostileText.Short.Where(p => !p.Contains("bomb", StringComparison.OrdinalIgnoreCase)).Array[1, 12];

    private static readonly Gen<(StreamProtocol Protocol, int Window, int ChunkSeed, int MaxChunk)> Shapes =
        Gen.Select(Gen.OneOf(Enum.GetValues<StreamProtocol>()), Gen.Int[20, 200], Gen.Int, Gen.Int[1, 64]);

    [Fact]
    public Task Property_SafeStreamAnyChunking_ClientGetsTheBackendsBytes() =>
        Gen.Select(SafePieces, Shapes).SampleAsync(
            async (pieces, shape) =>
            {
                var body = Body(shape.Protocol, pieces);
                var options = new StreamModerationOptions { WindowChars = shape.Window, OverlapChars = shape.Window / 4, Protocol = shape.Protocol };

                var (result, downstream, log) = await RunAsync(options, ChatStreams.RandomChunks(body, shape.ChunkSeed, shape.MaxChunk));

                Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
                Assert.Equal(Encoding.UTF8.GetBytes(body), downstream.Bytes);
                Assert.Equal(string.Concat(pieces), result.ChoiceTexts[0]);
                AssertNoTextBeforeItsCheck(log, options);
            },
            iter: PropertyIterations,
            threads: 1);

    [Fact]
    public Task Property_BlockedStreamAnyChunking_ReleasedBytesAreAPrefixOfTheBackends() =>
        Gen.Select(SafePieces, SafePieces, Shapes).SampleAsync(
            async (before, after, shape) =>
            {
                string[] pieces = [.. before, " the bomb ", .. after];
                var body = Body(shape.Protocol, pieces);
                var options = new StreamModerationOptions { WindowChars = shape.Window, OverlapChars = shape.Window / 4, Protocol = shape.Protocol };

                var (result, _, log) = await RunAsync(options, ChatStreams.RandomChunks(body, shape.ChunkSeed, shape.MaxChunk));

                Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
                var released = ReleasedBeforeTheBlock(log);
                var backend = Encoding.UTF8.GetBytes(body);
                Assert.True(backend.AsSpan().StartsWith(released), "the bytes released before the block are not a prefix of the backend's");
                Assert.DoesNotContain("bomb", ReleasedText(released, options).GetValueOrDefault(0, ""), StringComparison.Ordinal);
                AssertNoTextBeforeItsCheck(log, options);
            },
            iter: PropertyIterations,
            threads: 1);

    private static string Body(StreamProtocol protocol, string[] pieces) =>
        protocol == StreamProtocol.Responses ? ResponsesStreams.Text(pieces) : ChatStreams.Chat(pieces, usage: true);
}
