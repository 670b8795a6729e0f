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
catch (Exception e) when (e is not OperationCanceledException)
{
    // Start-up failed on something outside the configuration (the audit database unreachable, a port taken). The host
    // has logged the details; end with one line and a plain failure code rather than an unhandled-exception abort.
    await Console.Error.WriteLineAsync($"Guardrail could not start: {e.Message}");
    return 1;
}
