using System.Data.Common;

namespace Chat.Persistence;

/// <summary>Parameters for the raw SQL that EF Core cannot express, named as both providers take them.</summary>
internal static class DbCommandExtensions
{
    /// <summary>Adds a parameter by name, with its value or for one set later (a prepared command run many times).</summary>
    public static DbParameter AddParameter(this DbCommand command, string name, object? value = null)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
