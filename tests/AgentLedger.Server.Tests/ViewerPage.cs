using Microsoft.Playwright;

namespace AgentLedger.Server.Tests;

/// <summary>A fresh browser context on the viewer of one server, failing on any script error or CSP violation.</summary>
public sealed class ViewerPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    private ViewerPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.PageError += (_, error) => { lock (_errors) { _errors.Add($"page error: {error}"); } };
        page.Console += (_, message) =>
        {
            // A refused request (401 while the key is asked) is the server's answer, not a fault of the page.
            if (message.Type == "error" && !message.Text.Contains("401", StringComparison.Ordinal))
            {
                lock (_errors) { _errors.Add($"console: {message.Text} ({message.Location})"); }
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Script errors and Content-Security-Policy violations seen so far.</summary>
    public IReadOnlyList<string> Errors { get { lock (_errors) { return [.. _errors]; } } }

    public static async Task<ViewerPage> OpenAsync(BrowserFixture browser, Uri baseAddress, string hash = "", string colorScheme = "light")
    {
        var context = await browser.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1366, Height = 860 },
            ColorScheme = colorScheme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
        });
        context.SetDefaultTimeout(10_000);
        var page = await context.NewPageAsync();
        var viewer = new ViewerPage(context, page);
        await page.AddInitScriptAsync("document.addEventListener('securitypolicyviolation', e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));");
        await page.GotoAsync(new Uri(baseAddress, hash.Length == 0 ? "" : "#" + hash).ToString());
        return viewer;
    }

    public Task GoAsync(string hash) => Page.EvaluateAsync($"location.hash = {System.Text.Json.JsonSerializer.Serialize(hash)}");

    /// <summary>Waits until every live stream of the page is connected.</summary>
    public Task WaitForLiveAsync() => Page.WaitForFunctionAsync("() => window.agentLedger && window.agentLedger.connected()");

    public Task ScreenshotAsync(string name)
        => Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = false });

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
