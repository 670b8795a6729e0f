using System.Data.Common;

namespace Guardrail.Audit.Storage;

/// <summary>Parameters on either engine's commands.</summary>
internal static class DbCommandExtensions
{
    /// <summary>Adds a parameter named <paramref name="name"/> (with its <c>@</c>) holding <paramref name="value"/>.</summary>
    public static void AddParameter(this DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
