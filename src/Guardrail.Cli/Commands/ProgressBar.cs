using System.Globalization;

namespace Guardrail.Cli.Commands;

/// <summary>A one-line progress bar on standard error, drawn only when standard error is a terminal.</summary>
internal sealed class ProgressBar : IDisposable
{
    private const int Width = 30;
    private readonly TextWriter _writer;
    private readonly string _label;
    private int _lastPercent = -1;

    private ProgressBar(TextWriter writer, string label)
    {
        _writer = writer;
        _label = label;
    }

    /// <summary>A bar on <paramref name="writer"/> if it is the console's standard error on a terminal; otherwise null.</summary>
    public static ProgressBar? ForTerminal(TextWriter writer, string label) =>
        ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected ? new ProgressBar(writer, label) : null;

    public void Report(float fraction)
    {
        var percent = (int)Math.Clamp(fraction * 100, 0, 100);
        if (percent == _lastPercent)
        {
            return;
        }

        _lastPercent = percent;
        var filled = percent * Width / 100;
        _writer.Write(string.Create(CultureInfo.InvariantCulture, $"\r{_label} [{new string('#', filled)}{new string(' ', Width - filled)}] {percent,3}%"));
    }

    public void Dispose()
    {
        if (_lastPercent >= 0)
        {
            _writer.WriteLine();
        }
    }
}
