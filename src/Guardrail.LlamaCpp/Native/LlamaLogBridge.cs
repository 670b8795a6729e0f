using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// Routes llama.cpp and ggml log output (<c>llama_log_set</c> covers both) to an <see cref="ILogger"/>. Native code
/// logs in fragments (a line can arrive in several calls, continued with GGML_LOG_LEVEL_CONT), so text is gathered
/// per thread until a newline.
/// </summary>
internal static unsafe partial class LlamaLogBridge
{
    public const string CategoryName = "Guardrail.LlamaCpp.Native.llama.cpp";

    private static ILogger? _logger;

    [ThreadStatic]
    private static StringBuilder? _pending;

    [ThreadStatic]
    private static GgmlLogLevel _pendingLevel;

    [ThreadStatic]
    private static string? _lastError;

    /// <summary>Sends native log output to <paramref name="loggerFactory"/> from now on.</summary>
    public static void Install(ILoggerFactory loggerFactory)
    {
        Volatile.Write(ref _logger, loggerFactory.CreateLogger(CategoryName));
        LlamaNative.llama_log_set(&OnLog, null);
    }

    /// <summary>
    /// Returns and forgets the last error llama.cpp logged on this thread, so that a failed call (which only returns
    /// null or a code) can say why. Null when none was logged or log forwarding is off.
    /// </summary>
    public static string? TakeLastError()
    {
        var error = _lastError;
        _lastError = null;
        return error;
    }

    /// <summary>
    /// llama.cpp's INFO level is load-time chatter (every metadata key, every tensor buffer), so it maps to Debug;
    /// its DEBUG to Trace. Warnings and errors keep their level.
    /// </summary>
    internal static LogLevel Map(GgmlLogLevel level) => level switch
    {
        GgmlLogLevel.Error => LogLevel.Error,
        GgmlLogLevel.Warn => LogLevel.Warning,
        GgmlLogLevel.Info => LogLevel.Debug,
        GgmlLogLevel.Debug => LogLevel.Trace,
        _ => LogLevel.Debug,
    };

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(GgmlLogLevel level, byte* text, void* userData)
    {
        // An exception must never unwind into native code.
        try
        {
            var logger = Volatile.Read(ref _logger);
            if (logger is null || text is null)
            {
                return;
            }

            var fragment = Marshal.PtrToStringUTF8((nint)text) ?? string.Empty;
            var pending = _pending ??= new StringBuilder();
            if (level != GgmlLogLevel.Continue)
            {
                if (pending.Length > 0)
                {
                    Emit(logger, _pendingLevel, pending);
                }

                _pendingLevel = level;
            }

            pending.Append(fragment);
            if (fragment.EndsWith('\n'))
            {
                Emit(logger, _pendingLevel, pending);
            }
        }
#pragma warning disable CA1031 // Nothing may escape a native callback; a lost log line is the lesser harm.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static void Emit(ILogger logger, GgmlLogLevel level, StringBuilder pending)
    {
        var message = pending.ToString().TrimEnd('\n', '\r');
        pending.Clear();
        if (level == GgmlLogLevel.Error && message.Length > 0)
        {
            _lastError = message;
        }

        var mapped = Map(level);
        if (message.Length > 0 && logger.IsEnabled(mapped))
        {
            NativeMessage(logger, mapped, message);
        }
    }

    [LoggerMessage(EventId = LlamaCppEventIds.NativeMessage, Message = "{NativeMessage}")]
    private static partial void NativeMessage(ILogger logger, LogLevel level, string nativeMessage);
}
