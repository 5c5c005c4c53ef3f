using Xunit;

namespace AgentLedger.Tests;

public sealed class LedgerLocationTests
{
    [Theory]
    [InlineData(":memory:", LedgerStoreKind.Memory, ":memory:")]
    [InlineData("agentledger.db", LedgerStoreKind.SqliteFile, "agentledger.db")]
    [InlineData("/var/lib/runs.db", LedgerStoreKind.SqliteFile, "/var/lib/runs.db")]
    [InlineData("sqlite:///relative.db", LedgerStoreKind.SqliteFile, "relative.db")]
    [InlineData("sqlite:////absolute/path.db", LedgerStoreKind.SqliteFile, "/absolute/path.db")]
    [InlineData("sqlite:///dir/with%20space.db", LedgerStoreKind.SqliteFile, "dir/with space.db")]
    [InlineData("sqlite://", LedgerStoreKind.SqliteMemory, ":memory:")]
    [InlineData("sqlite:///:memory:", LedgerStoreKind.SqliteMemory, ":memory:")]
    [InlineData("postgresql://u:p@h:5432/db", LedgerStoreKind.Postgres, "postgresql://u:p@h:5432/db")]
    [InlineData("postgres://u@h/db", LedgerStoreKind.Postgres, "postgres://u@h/db")]
    [InlineData("postgresql+psycopg://u:p@h/db?sslmode=require", LedgerStoreKind.Postgres, "postgresql+psycopg://u:p@h/db?sslmode=require")]
    [InlineData("Host=localhost;Database=x;Username=u;Password=p", LedgerStoreKind.Postgres, "Host=localhost;Database=x;Username=u;Password=p")]
    public void Parse_recognises_every_accepted_form(string url, LedgerStoreKind kind, string target)
    {
        var location = LedgerLocation.Parse(url);

        Assert.Equal(kind, location.Kind);
        Assert.Equal(target, location.Target);
    }

    [Fact]
    public void Parse_reads_sqlite_options_from_the_query_string()
    {
        var location = LedgerLocation.Parse("sqlite:///x.db?synchronous=full&busy_timeout_ms=500");

        Assert.Equal("x.db", location.Target);
        Assert.Equal("full", location.Options["synchronous"]);
        Assert.Equal("500", location.Options["busy_timeout_ms"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("mysql://u:p@h/db")]
    [InlineData("http://example.com/ledger")]
    [InlineData("sqlite://host/x.db")]
    [InlineData("sqlite:x.db")]
    public void Parse_rejects_missing_or_unknown_locations_listing_the_accepted_forms(string? url)
    {
        var error = Assert.Throws<LedgerConfigurationException>(() => LedgerLocation.Parse(url));

        Assert.Contains("accepted forms", error.Message, StringComparison.Ordinal);
        Assert.Contains("sqlite:///", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://user:s3cr%40t@host:5432/db", "postgresql://user:***@host:5432/db")]
    [InlineData("postgres://user@host/db", "postgres://user@host/db")]
    [InlineData("Host=h;Password=s3cret;Database=d", "Host=h;Password=***;Database=d")]
    public void Display_never_shows_the_password(string url, string display)
    {
        var location = LedgerLocation.Parse(url);

        Assert.Equal(display, location.ToString());
        Assert.DoesNotContain("s3cr", location.Display, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_memory_url_gives_an_in_memory_ledger()
    {
        await using var ledger = await Ledger.OpenAsync(":memory:", TestContext.Current.CancellationToken);

        Assert.IsType<InMemoryLedger>(ledger);
        Assert.Equal("memory", ledger.Description.Backend);
    }
}
