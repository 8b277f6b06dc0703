using Microsoft.Extensions.DependencyInjection;

namespace Chat.Channels;

/// <summary>Returned by <see cref="ChannelsServiceCollectionExtensions.AddChannels"/>, so extensions such as a Redis backplane can chain on.</summary>
public sealed class ChannelsBuilder(IServiceCollection services)
{
    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; } = services;
}
