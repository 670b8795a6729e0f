using Guardrail.Audit.Retention;

namespace Guardrail.Audit.Tests.Retention;

public sealed class ContentRedactorTests
{
    [Theory]
    [InlineData("mail me at jane.doe+work@example.co.uk please", "jane.doe", ContentRedactor.Email)]
    [InlineData("call +1 (415) 555-0132 now", "555-0132", ContentRedactor.Phone)]
    [InlineData("call 415-555-0132 now", "555-0132", ContentRedactor.Phone)]
    [InlineData("tel 020 7946 0958", "7946", ContentRedactor.Phone)]
    [InlineData("card 4111 1111 1111 1111 exp 12/29", "1111", ContentRedactor.Card)]
    [InlineData("card 5500-0000-0000-0004", "0004", ContentRedactor.Card)]
    [InlineData("card 378282246310005", "378282246310005", ContentRedactor.Card)]
    [InlineData("key sk-proj-AbCdEf0123456789xyzXYZ", "AbCdEf", ContentRedactor.ApiKey)]
    [InlineData("OPENAI_API_KEY=sk-1234567890abcdefABCDEF", "1234567890abcdef", ContentRedactor.ApiKey)]
    [InlineData("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abc", ContentRedactor.ApiKey)]
    [InlineData("aws AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", ContentRedactor.ApiKey)]
    [InlineData("Authorization: Bearer abc.def-ghi_jkl~mno/pqr+stu=", "abc.def", ContentRedactor.Token)]
    [InlineData("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJhbGci", ContentRedactor.Token)]
    [InlineData("secret 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "9f86d08", ContentRedactor.Secret)]
    [InlineData("secret dGhpcyBpcyBhIHZlcnkgc2VjcmV0IGtleSAxMjM0NTY3OA==", "dGhpcyBp", ContentRedactor.Secret)]
    public void Redact_SensitiveValue_IsMasked(string text, string leaked, string placeholder)
    {
        var redacted = ContentRedactor.Redact(text);

        Assert.DoesNotContain(leaked, redacted, StringComparison.Ordinal);
        Assert.Contains(placeholder, redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("How do I bake bread at 220 degrees for 35 minutes?")]
    [InlineData("The meeting is on 2026-11-22 at 10:30.")]
    [InlineData("Order 1234 shipped in 3 boxes.")]
    [InlineData("Internationalization and counterrevolutionaries are long words.")]
    public void Redact_OrdinaryText_IsUnchanged(string text)
    {
        Assert.Equal(text, ContentRedactor.Redact(text));
    }

    [Fact]
    public void Redact_DigitsFailingLuhn_AreNotLabelledAsCard()
    {
        var redacted = ContentRedactor.Redact("ref 4111 1111 1111 1112");

        Assert.DoesNotContain(ContentRedactor.Card, redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111 1111 1111 1111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("79927398713", false)] // passes Luhn but is too short for a card
    public void PassesLuhn_Candidates_ChecksDigitSumAndLength(string candidate, bool expected)
    {
        Assert.Equal(expected, ContentRedactor.PassesLuhn(candidate));
    }
}
