using Microsoft.Net.Http.Headers;

namespace Guardrail.Gateway.Admin.Review;

/// <summary>One of the review page's static files as served: its URL name under <c>/admin/review/</c>, media type,
/// bytes and strong entity tag (a hash of the bytes, so it changes exactly when the file does).</summary>
internal sealed record ReviewPageAsset(string Name, string ContentType, ReadOnlyMemory<byte> Content, EntityTagHeaderValue ETag);
