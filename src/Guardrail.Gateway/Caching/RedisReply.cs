using System.Text;

namespace Guardrail.Gateway.Caching;

/// <summary>The kinds of RESP2 reply.</summary>
internal enum RedisReplyKind
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Null,
}

/// <summary>One parsed RESP2 reply.</summary>
internal sealed class RedisReply
{
    public static readonly RedisReply Null = new(RedisReplyKind.Null);

    private RedisReply(RedisReplyKind kind) => Kind = kind;

    public RedisReplyKind Kind { get; }

    /// <summary>Simple string or error text.</summary>
    public string? Text { get; private init; }

    public long Integer { get; private init; }

    public byte[]? Bytes { get; private init; }

    public IReadOnlyList<RedisReply> Items { get; private init; } = [];

    public static RedisReply Simple(string text) => new(RedisReplyKind.SimpleString) { Text = text };

    public static RedisReply Failure(string text) => new(RedisReplyKind.Error) { Text = text };

    public static RedisReply Number(long value) => new(RedisReplyKind.Integer) { Integer = value };

    public static RedisReply Bulk(byte[] bytes) => new(RedisReplyKind.BulkString) { Bytes = bytes };

    public static RedisReply Multi(RedisReply[] items) => new(RedisReplyKind.Array) { Items = items };

    public override string ToString() => Kind switch
    {
        RedisReplyKind.SimpleString or RedisReplyKind.Error => Text ?? string.Empty,
        RedisReplyKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RedisReplyKind.BulkString => Encoding.UTF8.GetString(Bytes!),
        RedisReplyKind.Array => "[" + string.Join(", ", Items) + "]",
        _ => "(nil)",
    };
}
