using System.Globalization;

namespace Guardrail.Cli.Models;

/// <summary>
/// Download progress on standard error: on a terminal, one line redrawn in place (bar, bytes, rate, time left); when
/// standard error is a file or a pipe (CI logs, scripts), a plain line at every tenth of the file instead, so a log
/// shows progress without thousands of carriage returns.
/// </summary>
internal sealed class DownloadProgress
{
    private const int BarWidth = 24;
    private const long UnknownTotalLineBytes = 128L << 20;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(250);

    private readonly TextWriter _writer;
    private readonly TimeProvider _time;
    private readonly string _label;
    private readonly bool _terminal;
    private long? _total;
    private long _resumedFrom;
    private long _started;
    private long _lastDrawn;
    private int _lastTenth;
    private long _lastLineBytes;
    private int _lastWidth;

    public DownloadProgress(TextWriter writer, TimeProvider time, string label, bool terminal)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrEmpty(label);
        _writer = writer;
        _time = time;
        _label = label;
        _terminal = terminal;
    }

    /// <summary>Whether <paramref name="writer"/> is the process's standard error on a terminal.</summary>
    public static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>The transfer begins; <paramref name="resumedFrom"/> bytes are already in the partial file.</summary>
    public void Start(long? total, long resumedFrom)
    {
        _total = total;
        _resumedFrom = resumedFrom;
        _started = _time.GetTimestamp();
        _lastDrawn = _started;
        _lastTenth = total is > 0 ? (int)(resumedFrom * 10 / total.Value) : 0;
        _lastLineBytes = resumedFrom;
        var size = total is { } t ? ModelFileDescription.FormatBytes(t) : "unknown size";
        _writer.WriteLine(resumedFrom > 0
            ? $"{_label}: resuming at {ModelFileDescription.FormatBytes(resumedFrom)} of {size}"
            : $"{_label}: downloading {size}");
        if (_terminal)
        {
            Draw(resumedFrom);
        }
    }

    /// <summary><paramref name="received"/> bytes of the file are now in the partial file.</summary>
    public void Report(long received)
    {
        var now = _time.GetTimestamp();
        if (_terminal)
        {
            if (_time.GetElapsedTime(_lastDrawn, now) >= RedrawInterval)
            {
                _lastDrawn = now;
                Draw(received);
            }

            return;
        }

        if (_total is > 0 and var total)
        {
            var tenth = (int)Math.Min(10, received * 10 / total);
            if (tenth > _lastTenth)
            {
                _lastTenth = tenth;
                _writer.WriteLine($"{_label}: {Describe(received)}");
            }
        }
        else if (received - _lastLineBytes >= UnknownTotalLineBytes)
        {
            _lastLineBytes = received;
            _writer.WriteLine($"{_label}: {Describe(received)}");
        }
    }

    /// <summary>The transfer ended (complete or not); a terminal line is finished with a newline.</summary>
    public void Finish(long received)
    {
        if (_terminal)
        {
            Draw(received);
            _writer.WriteLine();
        }
        else if (_total is null && received > _lastLineBytes)
        {
            _writer.WriteLine($"{_label}: {Describe(received)}");
        }
    }

    /// <summary>The progress text after the label, for <paramref name="received"/> bytes.</summary>
    internal string Describe(long received)
    {
        var elapsed = _time.GetElapsedTime(_started);
        var done = _total is { } whole && received >= whole;

        // Half a second of data before the first rate: earlier figures swing wildly. A finished transfer has its average.
        var rate = elapsed.TotalSeconds >= 0.5 || (done && elapsed > TimeSpan.Zero) ? (received - _resumedFrom) / elapsed.TotalSeconds : (double?)null;
        var rateText = rate is > 0 ? $"{ModelFileDescription.FormatBytes((long)rate.Value)}/s" : "-- /s";
        if (_total is > 0 and var total)
        {
            var percent = (int)Math.Min(100, received * 100 / total);
            var left = done ? "0s left" : rate is > 0 ? FormatDuration(TimeSpan.FromSeconds((total - received) / rate.Value)) + " left" : "-- left";
            return string.Create(
                CultureInfo.InvariantCulture,
                $"{percent,3}% {ModelFileDescription.FormatBytes(received)} of {ModelFileDescription.FormatBytes(total)}, {rateText}, {left}");
        }

        return $"{ModelFileDescription.FormatBytes(received)}, {rateText}";
    }

    internal static string FormatDuration(TimeSpan duration) => duration switch
    {
        { TotalHours: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}h{duration.Minutes:00}m"),
        { TotalMinutes: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{duration.Minutes}m{duration.Seconds:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)Math.Ceiling(duration.TotalSeconds))}s"),
    };

    private void Draw(long received)
    {
        var bar = string.Empty;
        if (_total is > 0 and var total)
        {
            var filled = (int)Math.Min(BarWidth, received * BarWidth / total);
            bar = "[" + new string('#', filled) + new string('.', BarWidth - filled) + "] ";
        }

        var line = $"{_label} {bar}{Describe(received)}";

        // Pad over the previous, longer line rather than emit a terminal-specific erase sequence.
        var padded = line.PadRight(_lastWidth);
        _lastWidth = line.Length;
        _writer.Write("\r" + padded);
    }
}
