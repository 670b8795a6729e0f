using System.Diagnostics;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>Waits for a condition that becomes true by itself (a record written within a bounded delay, a process
/// becoming ready), checking it again and again until a deadline. The deadline fails the test; it is never the
/// thing asserted.</summary>
internal static class Eventually
{
    public static async Task SucceedsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Gave up after {timeout.TotalSeconds:0} s waiting for {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}
