using System.Globalization;

namespace Guardrail.Cli.Commands;

/// <summary>A one-line progress bar on standard error, drawn only when standard error is a terminal.</summary>
internal sealed class ProgressBar : IDisposable
{
    private const int Width = 30;
    private readonly TextWriter _writer;
    private readonly string _label;
    private readonly TimeProvider _time;
    private readonly long _started;
    private int _lastPercent = -1;
    private bool _drawn;

    private ProgressBar(TextWriter writer, string label, TimeProvider time)
    {
        _writer = writer;
        _label = label;
        _time = time;
        _started = time.GetTimestamp();
    }

    /// <summary>A bar on <paramref name="writer"/> if it is the console's standard error on a terminal; otherwise null.</summary>
    public static ProgressBar? ForTerminal(TextWriter writer, string label) =>
        ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected ? new ProgressBar(writer, label, TimeProvider.System) : null;

    /// <summary>A bar on any writer, timed by <paramref name="time"/> (for tests).</summary>
    internal static ProgressBar ForWriter(TextWriter writer, string label, TimeProvider time) => new(writer, label, time);

    public void Report(float fraction)
    {
        var percent = (int)Math.Clamp(fraction * 100, 0, 100);
        if (percent == _lastPercent)
        {
            return;
        }

        _lastPercent = percent;
        Draw(percent, string.Empty);
    }

    /// <summary>Items done of <paramref name="total"/>, with the rate so far and the time left at that rate.</summary>
    public void Report(int done, int total)
    {
        var elapsed = _time.GetElapsedTime(_started);
        var rate = elapsed > TimeSpan.Zero ? done / elapsed.TotalSeconds : 0;
        var left = rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : (TimeSpan?)null;
        var percent = total == 0 ? 100 : (int)((long)done * 100 / total);
        _lastPercent = percent;
        Draw(percent, string.Create(CultureInfo.InvariantCulture,
            $" {done}/{total} items, {rate:0.0} items/s, {(left is { } l ? l.ToString(l.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "?")} left"));
    }

    public void Dispose()
    {
        if (_drawn)
        {
            _writer.WriteLine();
        }
    }

    private void Draw(int percent, string detail)
    {
        _drawn = true;
        var filled = percent * Width / 100;
        _writer.Write(string.Create(CultureInfo.InvariantCulture, $"\r{_label} [{new string('#', filled)}{new string(' ', Width - filled)}] {percent,3}%{detail}"));
    }
}
