using System.Text;
using System.Text.RegularExpressions;

namespace Guardrail.Audit.Retention;

/// <summary>Masks personal data and secrets in conversation text for the <c>redacted</c> retention mode.</summary>
/// <remarks>
/// Errs on the side of masking: a date that looks like a phone number is a smaller harm than a phone number kept.
/// Secrets go first, so that an e-mail-like fragment inside a token cannot leave the rest of the token behind, and
/// card numbers go before phone numbers so a card is labelled as such. Card candidates are masked only when their
/// digits pass the Luhn check; other long digit runs fall through to the phone rule.
/// </remarks>
internal static partial class ContentRedactor
{
    public const string Email = "[EMAIL]";
    public const string Phone = "[PHONE]";
    public const string Card = "[CARD]";
    public const string ApiKey = "[API_KEY]";
    public const string Token = "[TOKEN]";
    public const string Secret = "[SECRET]";

    /// <summary>Stored instead of the text when redaction cannot finish in time: keeping nothing is safe, keeping
    /// the text unredacted is not.</summary>
    public const string Failed = "[REDACTION FAILED]";

    // Patterns run over text a client controls; the timeout bounds what a crafted prompt can cost.
    private const int MatchTimeoutMilliseconds = 250;

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return RedactAll(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return Failed;
        }
    }

    private static string RedactAll(string text)
    {
        // Redaction runs on the request path for every decision: skip each pattern when the character it cannot
        // match without is absent, which is the common case for ordinary chat text.
        var result = text;
        if (result.Contains("earer", StringComparison.OrdinalIgnoreCase) || result.Contains("asic", StringComparison.OrdinalIgnoreCase))
        {
            result = BearerPattern().Replace(result, "${scheme} " + Token);
        }

        if (result.Contains("eyJ", StringComparison.Ordinal))
        {
            result = JwtPattern().Replace(result, Token);
        }

        result = ApiKeyPattern().Replace(result, ApiKey);
        if (result.Contains('@', StringComparison.Ordinal))
        {
            result = EmailPattern().Replace(result, Email);
        }

        result = HexSecretPattern().Replace(result, Secret);
        result = Base64SecretPattern().Replace(result, static m => HasLetterAndDigit(m.Value) ? Secret : m.Value);
        if (result.AsSpan().IndexOfAnyInRange('0', '9') >= 0)
        {
            result = CardPattern().Replace(result, static m => PassesLuhn(m.Value) ? Card : m.Value);
            result = PhonePattern().Replace(result, static m => LooksLikePhone(m.Value) ? Phone : m.Value);
        }

        return result;
    }

    /// <summary>True when the digits of <paramref name="candidate"/> (separators ignored) pass the Luhn check.</summary>
    internal static bool PassesLuhn(string candidate)
    {
        var sum = 0;
        var digits = 0;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            var c = candidate[i];
            if (!char.IsAsciiDigit(c))
            {
                continue;
            }

            var d = c - '0';
            if (digits % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            digits++;
        }

        return digits is >= 13 and <= 19 && sum % 10 == 0;
    }

    private static bool LooksLikePhone(string candidate)
    {
        var digits = 0;
        foreach (var c in candidate)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
        }

        if (digits is < 7 or > 15)
        {
            return false;
        }

        // An ISO date or time is not a phone number.
        return !IsoDatePattern().IsMatch(candidate);
    }

    private static bool HasLetterAndDigit(string value)
    {
        var letter = false;
        var digit = false;
        foreach (var rune in value.EnumerateRunes())
        {
            letter |= Rune.IsLetter(rune);
            digit |= Rune.IsDigit(rune);
        }

        return letter && digit;
    }

    [GeneratedRegex(@"(?<scheme>\b[Bb]earer|\bBEARER|\b[Bb]asic)\s+[A-Za-z0-9\-._~+/]+=*", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex BearerPattern();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex JwtPattern();

    // OpenAI/Anthropic style (sk-, sk-proj-, sk-ant-), publishable/restricted keys, GitHub, Slack, AWS access keys,
    // Google API keys, and anything named like an api key in an assignment.
    [GeneratedRegex(
        @"\b(?:(?:sk|pk|rk)-[A-Za-z0-9_\-]{12,}|(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{30,})",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
        MatchTimeoutMilliseconds)]
    private static partial Regex ApiKeyPattern();

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"\b(?:0[xX])?[0-9a-fA-F]{32,}\b", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex HexSecretPattern();

    [GeneratedRegex(@"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{32,}={0,2}", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex Base64SecretPattern();

    [GeneratedRegex(@"(?<![\d-])\d(?:[ \-]?\d){12,18}(?![\d-])", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex CardPattern();

    [GeneratedRegex(@"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,5}(?:[ .\-]?\d{2,5}){1,4}(?!\w)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[:.]\d{2}([:.]\d{2})?$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, MatchTimeoutMilliseconds)]
    private static partial Regex IsoDatePattern();
}
