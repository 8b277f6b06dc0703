namespace Chat.Server.Admin;

public static class AdminServiceCollectionExtensions
{
    /// <summary>The control socket, through which the admin commands reach the node on their machine.</summary>
    public static IServiceCollection AddChatAdmin(this IServiceCollection services)
    {
        services.AddHostedService<ControlSocketServer>();
        return services;
    }
}
