using Guardrail.LlamaCpp.Classification;

namespace Guardrail.LlamaCpp.Tests.Classification;

/// <summary>The per-tenant round robin the classifier's worker drains: order, shares and weights from its own state.</summary>
public sealed class FairQueueTests
{
    [Fact]
    public void TryTake_OneTenantFloodingAndOneWaiting_AlternatesBetweenThem()
    {
        var queue = new FairQueue<string>(100, 100, static _ => 1);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(FairQueueRefusal.None, queue.TryAdd("flood", "a" + i));
        }

        queue.TryAdd("light", "b0");
        queue.TryAdd("light", "b1");

        Assert.Equal(["a0", "b0", "a1", "b1", "a2", "a3", "a4"], TakeAll(queue).Take(7));
    }

    [Fact]
    public void TryTake_WeightedTenants_GiveTheirWeightPerTurn()
    {
        var queue = new FairQueue<string>(100, 100, static tenant => tenant == "heavy" ? 3 : 1);
        for (var i = 0; i < 6; i++)
        {
            queue.TryAdd("heavy", "h" + i);
            queue.TryAdd("light", "l" + i);
        }

        Assert.Equal(["h0", "h1", "h2", "l0", "h3", "h4", "h5", "l1", "l2", "l3", "l4", "l5"], TakeAll(queue));
    }

    [Fact]
    public void TryTake_TenantThatWentIdle_StartsAFreshTurnAtTheEnd()
    {
        var queue = new FairQueue<string>(100, 100, static _ => 2);
        queue.TryAdd("a", "a0");
        queue.TryAdd("b", "b0");
        queue.TryAdd("b", "b1");
        queue.TryAdd("b", "b2");

        Assert.True(queue.TryTake(out var first));
        Assert.Equal("a0", first);
        Assert.Equal(0, queue.CountOf("a"));
        queue.TryAdd("a", "a1");

        Assert.Equal(["b0", "b1", "a1", "b2"], TakeAll(queue));
    }

    [Fact]
    public void TryAdd_TenantOverItsShare_IsRefusedWhileOthersStillFit()
    {
        var queue = new FairQueue<string>(4, 2, static _ => 1);

        Assert.Equal(FairQueueRefusal.None, queue.TryAdd("a", "a0"));
        Assert.Equal(FairQueueRefusal.None, queue.TryAdd("a", "a1"));
        Assert.Equal(FairQueueRefusal.TenantShareFull, queue.TryAdd("a", "a2"));
        Assert.Equal(FairQueueRefusal.None, queue.TryAdd("b", "b0"));
        Assert.Equal(FairQueueRefusal.None, queue.TryAdd("c", "c0"));
        Assert.Equal(FairQueueRefusal.QueueFull, queue.TryAdd("d", "d0"));
        Assert.Equal(4, queue.Count);
        Assert.Equal(new Dictionary<string, int>(StringComparer.Ordinal) { ["a"] = 2, ["b"] = 1, ["c"] = 1 }, queue.CountsByTenant());
    }

    [Fact]
    public void ItemsAhead_CountsOwnItemsAndOthersTurnsUntilTheNewOne()
    {
        var queue = new FairQueue<string>(100, 100, static tenant => tenant == "w2" ? 2 : 1);
        for (var i = 0; i < 10; i++)
        {
            queue.TryAdd("flood", "f" + i);
            queue.TryAdd("w2", "w" + i);
        }

        queue.TryAdd("light", "l0");

        // A new light item waits for its own one, then takes its turn in round two: two of flood's, four of w2's.
        Assert.Equal(1 + 2 + 4, queue.ItemsAhead("light"));
        Assert.Equal(1 + 2 + 1, queue.ItemsAhead("nobody"));
        Assert.Equal(0, new FairQueue<string>(4, 4, static _ => 1).ItemsAhead("anyone"));
    }

    [Fact]
    public void Take_AfterClose_ReturnsWhatIsLeftThenFalse()
    {
        var queue = new FairQueue<string>(4, 4, static _ => 1);
        queue.TryAdd("a", "a0");
        queue.Close();

        Assert.Equal(FairQueueRefusal.Closed, queue.TryAdd("a", "a1"));
        Assert.True(queue.Take(out var left));
        Assert.Equal("a0", left);
        Assert.False(queue.Take(out _));
    }

    [Fact]
    public void Take_WaitingWorker_WakesForAnItemAndForClose()
    {
        var queue = new FairQueue<string>(4, 4, static _ => 1);
        var taken = new List<string>();
        var worker = new Thread(() =>
        {
            while (queue.Take(out var item))
            {
                lock (taken)
                {
                    taken.Add(item);
                }
            }
        });
        worker.Start();

        queue.TryAdd("a", "a0");
        queue.Close();

        Assert.True(worker.Join(TimeSpan.FromMinutes(5)), "the worker did not end after Close");
        Assert.Equal(["a0"], taken);
    }

    private static List<string> TakeAll(FairQueue<string> queue)
    {
        var items = new List<string>();
        while (queue.TryTake(out var item))
        {
            items.Add(item);
        }

        return items;
    }
}
