using System.Reflection;
using Guardrail.Audit;
using Guardrail.Gateway.Hosting;
using Guardrail.LlamaCpp.Classification;
using Guardrail.Serving;
using Microsoft.Extensions.Logging;

namespace Guardrail.Gateway.Tests.Diagnostics;

/// <summary>Every log event id is unique across the products and inside its assembly's range, so a query for one id finds one event.</summary>
public sealed class LogEventIdsTests
{
    private static readonly (Assembly Assembly, int From, int To)[] Ranges =
    [
        (typeof(LlamaGuardClassifier).Assembly, 1000, 1999),
        (typeof(GatewayApplication).Assembly, 2000, 6999),
        (typeof(SqliteAuditStore).Assembly, 7000, 7999),
        (typeof(GenerationServer).Assembly, 8000, 8999),
    ];

    [Fact]
    public void LoggerMessages_EveryEventId_IsUniqueAndInItsAssemblysRange()
    {
        var seen = new Dictionary<int, string>();
        foreach (var (assembly, from, to) in Ranges)
        {
            var messages = assembly.GetTypes()
                .SelectMany(static type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                .Select(static method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
                .Where(static m => m.Attribute is not null)
                .ToList();

            Assert.NotEmpty(messages);
            foreach (var (method, attribute) in messages)
            {
                var name = $"{method.DeclaringType!.FullName}.{method.Name}";
                Assert.True(attribute!.EventId >= from && attribute.EventId <= to, $"{name} has event id {attribute.EventId}, outside {assembly.GetName().Name}'s range {from}-{to}.");
                Assert.True(seen.TryAdd(attribute.EventId, name), $"Event id {attribute.EventId} is used by {name} and {seen.GetValueOrDefault(attribute.EventId)}.");
            }
        }
    }
}
