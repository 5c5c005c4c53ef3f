using System.Text.Json;
using AgentLedger.Sqlite;
using Xunit;

namespace AgentLedger.Extensions.AI.Tests;

/// <summary>A fresh SQLite file per test (the real backend, no mock), deleted afterwards.</summary>
internal sealed class TestLedger : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentledger-ai-").FullName;

    public string Path => System.IO.Path.Combine(_folder, "ledger.db");

    public ILedger Ledger { get; private set; } = null!;

    public static async Task<TestLedger> OpenAsync()
    {
        var test = new TestLedger();
        test.Ledger = await test.ReopenAsync();
        return test;
    }

    /// <summary>A second, independent handle on the same file (a restarted process sees only the file).</summary>
    public ValueTask<ILedger> ReopenAsync() => AgentLedger.Ledger.Create().UseSqlite().OpenAsync(Path);

    public async Task<List<LedgerEvent>> EventsAsync(string? kind = null)
    {
        var events = new List<LedgerEvent>();
        await foreach (var stored in Ledger.ReadAsync(new EventQuery { Kind = kind }))
        {
            events.Add(stored.Event);
        }

        return events;
    }

    public async Task<LedgerEvent> SingleAsync(string kind) => Assert.Single(await EventsAsync(kind));

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

internal static class PayloadExtensions
{
    public static JsonElement At(this LedgerEvent e, params string[] path)
    {
        var element = e.PayloadElement;
        foreach (var name in path)
        {
            element = element.GetProperty(name);
        }

        return element;
    }
}
