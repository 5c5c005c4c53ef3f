using Npgsql;
using Xunit;

namespace AgentLedger.Postgres.Tests;

public sealed class PostgresUrlTests
{
    [Fact]
    public void Parse_reads_user_percent_encoded_password_host_port_database_and_sslmode()
    {
        var (cs, _) = PostgresUrl.Parse("postgresql+psycopg://al%40ice:p%40ss%3Aw%2Fo%20rd@db.example.com:6543/ledger?sslmode=require&channel_binding=require");

        Assert.Equal("al@ice", cs.Username);
        Assert.Equal("p@ss:w/o rd", cs.Password);
        Assert.Equal("db.example.com", cs.Host);
        Assert.Equal(6543, cs.Port);
        Assert.Equal("ledger", cs.Database);
        Assert.Equal(SslMode.Require, cs.SslMode);
        Assert.Equal(ChannelBinding.Require, cs.ChannelBinding);
    }

    [Theory]
    [InlineData("postgres://u@h/db")]
    [InlineData("postgresql://u@h/db")]
    public void Parse_accepts_both_schemes(string url)
        => Assert.Equal(("u", "h", "db"), (PostgresUrl.Parse(url).ConnectionString.Username, PostgresUrl.Parse(url).ConnectionString.Host, PostgresUrl.Parse(url).ConnectionString.Database));

    [Fact]
    public void Parse_reads_ledger_options_and_the_schema()
    {
        var (cs, options) = PostgresUrl.Parse("postgresql://u@h/db?schema=team_a&ordered_commits=false&notifications=off&poll_ms=250&retry_seconds=5");

        Assert.Equal("\"team_a\"", cs.SearchPath); // quoted: the schema is exactly what was written
        Assert.False(options.OrderedCommits);
        Assert.False(options.Notifications);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.FollowPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RetryFor);
    }

    [Fact]
    public void Parse_accepts_an_npgsql_connection_string()
        => Assert.Equal("x", PostgresUrl.Parse("Host=localhost;Database=x;Username=u;Password=p").ConnectionString.Database);

    [Theory]
    [InlineData("postgresql://u:s3cret@h/db?frobnicate=1", "unknown parameter 'frobnicate'")]
    [InlineData("postgresql://u:s3cret@h:port/db", "port 'port' is not a number")]
    [InlineData("postgresql://u:s3cret@h/db?sslmode=sometimes", "unknown sslmode")]
    public void Parse_rejects_malformed_urls_without_showing_the_password(string url, string reason)
    {
        var error = Assert.Throws<LedgerConfigurationException>(() => PostgresUrl.Parse(url));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }
}
