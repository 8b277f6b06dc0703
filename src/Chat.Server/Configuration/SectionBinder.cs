using System.Reflection;
using Microsoft.Extensions.Options;

namespace Chat.Server.Configuration;

/// <summary>Binds a section, turning a value the binder cannot convert into a validation failure that names its key.</summary>
internal static class SectionBinder
{
    public static void Bind<TOptions>(IConfiguration configuration, string section, TOptions options)
        where TOptions : class
    {
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // "Failed to convert configuration value 'abc' at 'Chat:Channels:MaxFrameBytes' to type 'System.Int32'."
            // already names the key; it only needs to be reported with the other failures.
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), [ex.Message]);
        }
    }

    /// <summary>The key a property is bound from: its name, or its <see cref="ConfigurationKeyNameAttribute"/>.</summary>
    public static string KeyOf(PropertyInfo property) =>
        property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
}
