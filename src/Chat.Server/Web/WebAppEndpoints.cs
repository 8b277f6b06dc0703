using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Chat.Server.Web;

/// <summary>
/// Serves the web front-end: the bundle that <c>WebApp.targets</c> builds from <c>web/</c> into
/// <c>wwwroot/</c> and copies next to the server's assembly. <c>/</c> and <c>/rooms/{slug}</c>
/// answer with the app's <c>index.html</c> (deep links); every other path is either a bundle file
/// or left to the API, the socket and the health checks, which this never shadows.
/// </summary>
public static class WebAppEndpoints
{
    /// <summary>
    /// The app's policy: scripts, styles, fonts and sockets only from this origin, no inline
    /// script or style, no plugins, no framing, and DOM sinks closed to strings (Trusted Types),
    /// so that message content can only ever be text.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " +
        "require-trusted-types-for 'script'; trusted-types 'none'";

    private const string IndexFile = "index.html";

    /// <summary>Static files of the bundle, the app's security headers, and the app's pages.</summary>
    public static WebApplication UseWebApp(this WebApplication app)
    {
        var webRoot = FindWebRoot(app.Environment);
        IFileProvider files = webRoot is null ? new NullFileProvider() : new PhysicalFileProvider(webRoot);

        var contentTypes = new FileExtensionContentTypeProvider();
        contentTypes.Mappings[".webmanifest"] = "application/manifest+json";

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = contentTypes,
            OnPrepareResponse = context =>
            {
                var response = context.Context.Response;
                AddSecurityHeaders(response);
                // index.html names every asset with ?v=<content hash>, so such URLs never change.
                response.Headers.CacheControl = context.Context.Request.Query.ContainsKey("v")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
            },
        });

        app.MapGet("/", (HttpContext context) => ServeIndex(context, files)).ExcludeFromDescription();
        app.MapGet("/rooms/{slug}", (HttpContext context) => ServeIndex(context, files)).ExcludeFromDescription();
        return app;
    }

    internal static void AddSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
    }

    private static IResult ServeIndex(HttpContext context, IFileProvider files)
    {
        AddSecurityHeaders(context.Response);
        context.Response.Headers.CacheControl = "no-cache";
        var index = files.GetFileInfo(IndexFile);
        if (!index.Exists || index.PhysicalPath is null)
        {
            return TypedResults.Text(
                "The web front-end is not built. Build the server with Node.js installed (dotnet build), which bundles web/ into wwwroot/.",
                "text/plain; charset=utf-8",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return TypedResults.PhysicalFile(index.PhysicalPath, "text/html; charset=utf-8", lastModified: index.LastModified, entityTag: EntityTagFor(index));
    }

    private static EntityTagHeaderValue EntityTagFor(IFileInfo file) =>
        new($"\"{file.LastModified.UtcTicks:x}-{file.Length:x}\"");

    /// <summary>
    /// The bundle next to the assembly (build and publish output), else the host's web root
    /// (a content root set to the project folder); null when neither holds the app.
    /// </summary>
    private static string? FindWebRoot(IWebHostEnvironment environment)
    {
        string?[] candidates = [Path.Combine(AppContext.BaseDirectory, "wwwroot"), environment.WebRootPath];
        return candidates.FirstOrDefault(dir => dir is not null && File.Exists(Path.Combine(dir, IndexFile)));
    }
}
