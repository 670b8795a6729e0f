using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Hosting;

try
{
    await using var app = GatewayApplication.Build(args);
    await app.RunAsync();
    return 0;
}
catch (GatewayConfigurationException e)
{
    // A configuration error is the operator's to fix: print the list, not a stack trace. 78 is EX_CONFIG.
    await Console.Error.WriteLineAsync(e.Message);
    return 78;
}
