using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace AgentLedger.Server;

/// <summary>
/// The viewer: three files embedded in the assembly, served with a Content-Security-Policy that allows
/// only this origin's script and style (no inline script, no inline style attribute, no eval).
/// </summary>
internal static class ViewerEndpoints
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Name, string ContentType)[] Files =
    [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
    ];

    public static void Map(RouteGroupBuilder root)
    {
        var files = Files.ToDictionary(f => f.Name, f => (Bytes: Load(f.Name), f.ContentType));
        foreach (var (name, (bytes, contentType)) in files)
        {
            root.MapGet("/" + name, (HttpContext http) => Serve(http, bytes, contentType)).ExcludeFromDescription();
        }

        var index = files["index.html"];
        root.MapGet("/", (HttpContext http) =>
        {
            // "/prefix" without its slash would resolve the page's relative URLs against the parent.
            if (!http.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect(http.Request.PathBase + http.Request.Path + "/");
            }

            return Serve(http, index.Bytes, index.ContentType);
        }).ExcludeFromDescription();
    }

    private static FileContentHttpResult Serve(HttpContext http, byte[] bytes, string contentType)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return TypedResults.Bytes(bytes, contentType);
    }

    private static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("viewer/" + name)
            ?? throw new InvalidOperationException($"viewer file {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
