using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Chat.Server.Configuration;

/// <summary>
/// The one way a module's settings enter the server: an options class bound from its own
/// configuration section, checked by its data annotations (and <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>)
/// when the host starts, with every error naming the key an operator has to fix.
/// </summary>
/// <remarks>
/// Adding a setting: give the module's options class a property with a default and a
/// validation attribute, document the key in docs/configuration.md, and register the class
/// here once with <see cref="AddChatOptions{TOptions}"/>. Nothing else reads configuration.
/// A key under <c>Chat</c> or <c>ConnectionStrings</c> that no registered class declares
/// stops the server (<see cref="ConfigurationKeyCheck"/>): a misspelt key is never ignored.
/// </remarks>
public static class ConfigurationRegistration
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from <paramref name="section"/> and validates it at
    /// start. <paramref name="afterBind"/> may read what the binder cannot (a list given as one
    /// comma-separated string, a connection string).
    /// </summary>
    public static OptionsBuilder<TOptions> AddChatOptions<TOptions>(
        this IServiceCollection services, IConfiguration configuration, string section, Action<TOptions, IConfiguration>? afterBind = null)
        where TOptions : class
    {
        services.AddSingleton(new ConfigurationSectionOwner(section, typeof(TOptions)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(new SectionValidator<TOptions>(section)));
        return services.AddOptions<TOptions>()
            .Configure(options =>
            {
                SectionBinder.Bind(configuration, section, options);
                afterBind?.Invoke(options, configuration);
            })
            .ValidateOnStart();
    }

    /// <summary>
    /// Checks every registered options class now, as the host would when it starts, and
    /// throws one <see cref="InvalidConfigurationException"/> that lists every bad key. Called
    /// before anything touches the database, so a bad value never gets that far.
    /// </summary>
    public static void ValidateChatConfiguration(this IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (OptionsValidationException ex)
        {
            throw new InvalidConfigurationException(ex.Failures);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(inner => inner is OptionsValidationException))
        {
            throw new InvalidConfigurationException(ex.InnerExceptions.SelectMany(inner => ((OptionsValidationException)inner).Failures));
        }
    }
}

/// <summary>Which options class owns a configuration section; what <see cref="ConfigurationKeyCheck"/> knows keys by.</summary>
public sealed record ConfigurationSectionOwner(string Section, Type OptionsType);

/// <summary>The configuration cannot be served: every message names its key.</summary>
public sealed class InvalidConfigurationException(IEnumerable<string> failures)
    : Exception("The configuration has errors, so the server did not start:" + string.Concat(failures.Distinct().Select(f => Environment.NewLine + "  " + f)))
{
    public IReadOnlyList<string> Failures { get; } = [.. failures.Distinct()];
}
