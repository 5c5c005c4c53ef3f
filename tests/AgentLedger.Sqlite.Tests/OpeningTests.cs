using AgentLedger.Conformance;
using AgentLedger.Postgres;
using CsCheck;
using Xunit;

namespace AgentLedger.Sqlite.Tests;

/// <summary>Which backend a location goes to, with both backends on the builder, and what may be printed of it.</summary>
public sealed class OpeningTests
{
    private static readonly LedgerBuilder Both = Ledger.Create().UseSqlite().UsePostgres();

    [Theory]
    [InlineData(":memory:", "memory")]
    [InlineData("agentledger.db", "sqlite")]
    [InlineData("/var/lib/runs.db", "sqlite")]
    [InlineData("runs;v=2.db", "sqlite")]
    [InlineData("a=b.db", "sqlite")]
    [InlineData("sqlite:///relative.db", "sqlite")]
    [InlineData("sqlite:////absolute/path.db", "sqlite")]
    [InlineData("sqlite://", "sqlite")]
    [InlineData("postgresql://u:p@h:5432/db", "postgres")]
    [InlineData("postgres://u@h/db", "postgres")]
    [InlineData("postgresql+psycopg://u:p@h/db?sslmode=require", "postgres")]
    [InlineData("Host=localhost;Database=x;Username=u;Password=p", "postgres")]
    [InlineData("host=localhost;database=x", "postgres")]
    public void Each_accepted_form_goes_to_its_backend(string url, string backend)
        => Assert.Equal(backend, Both.ProviderFor(url).Name);

    [Theory]
    [InlineData("postgres:/app:s3cret@db/ledger")]
    [InlineData("password=s3cret")]
    public void Text_that_names_a_password_is_never_taken_for_a_file_name(string url)
    {
        var error = Assert.Throws<LedgerConfigurationException>(() => Both.ProviderFor(url));

        Assert.DoesNotContain("s3cret", error.Message + Both.Describe(url), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mysql://u:p@h/db")]
    [InlineData("http://example.com/ledger")]
    public void An_unknown_scheme_is_refused_listing_the_accepted_forms(string url)
    {
        var error = Assert.Throws<LedgerConfigurationException>(() => Both.ProviderFor(url));

        Assert.Contains("accepted forms", error.Message, StringComparison.Ordinal);
        Assert.Contains("sqlite:///", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite://host/x.db")]
    [InlineData("sqlite:x.db")]
    public async Task A_malformed_sqlite_url_is_a_configuration_error(string url)
        => await Assert.ThrowsAsync<LedgerConfigurationException>(async () => await Both.OpenAsync(url, cancellationToken: TestContext.Current.CancellationToken));

    [Theory]
    [InlineData("postgresql://user:s3cr%40t@host:5432/db", "postgresql://user:***@host:5432/db")]
    [InlineData("postgresql://user:s3c/r?t@host/db", "postgresql://user:***@host/db")]
    [InlineData("postgresql://user@host/db?password=s3cret&sslmode=require", "postgresql://user@host/db?password=***&sslmode=require")]
    [InlineData("postgres://user@host/db", "postgres://user@host/db")]
    [InlineData("postgres://user@host/db?application_name=a@b", "postgres://user@host/db?application_name=a@b")]
    [InlineData("Host=h;Password=s3cret;Database=d", "Host=h;Password=***;Database=d")]
    [InlineData("Host=h;PSW=s3cret;Database=d", "Host=h;Password=***;Database=d")]
    [InlineData("Host=h;Password='s3;cret';Database=d", "Host=h;Password=***;Database=d")]
    [InlineData("Username=app;Password=s3cret;Database=ledger", "Username=app;Password=***;Database=ledger")]
    [InlineData("postgresql://app:s3c?ss@db/ledger?application_name=svc@prod&sslmode=require", "postgresql://app:***@db/ledger?application_name=svc@prod&sslmode=require")]
    public void What_is_printed_of_a_location_never_holds_the_password(string url, string display)
    {
        var shown = Both.Describe(url);

        Assert.Equal(display, shown);
        Assert.DoesNotContain("s3c", shown, StringComparison.Ordinal);
    }

    /// <summary>Passwords made of the characters that break naive parsing and masking.</summary>
    private static readonly Gen<string> Password = Gen.String[Gen.OneOf(Gen.Char['a', 'z'], Gen.Char['0', '9'], Gen.OneOf('/', '?', '@', ':', ';', '=', '\'', '"', '%', '#', '&', ' ', 'é')), 6, 16]
        .Select(p => "Zq" + p); // never a substring of the fixed parts below

    private static readonly Gen<string> UrlWithPassword = Gen.Select(Password, Gen.Int[0, 5], Gen.String[Gen.Char['a', 'z'], 1, 8], (password, form, name) => form switch
    {
        0 => $"postgresql://{name}:{Uri.EscapeDataString(password)}@db.example:5432/{name}?sslmode=require",
        1 => $"postgresql://{name}:{password}@db.example/{name}",
        2 => $"postgres://{name}@db.example/{name}?password={Uri.EscapeDataString(password)}&application_name=a@b",
        3 => $"Host=db.example;Username={name};Password='{password.Replace("'", "''", StringComparison.Ordinal)}';Database={name}",
        4 => $"Host=db.example;PSW=\"{password.Replace("\"", "\"\"", StringComparison.Ordinal)}\";Database={name}",
        _ => $"Username={name};Password='{password.Replace("'", "''", StringComparison.Ordinal)}'",
    });

    [Fact]
    public void Any_location_with_a_password_is_printed_and_refused_without_it()
        => Gen.Select(UrlWithPassword, Password).Sample((url, password) =>
        {
            var secret = url.Contains("Zq", StringComparison.Ordinal) ? url[url.IndexOf("Zq", StringComparison.Ordinal)..] : password;
            var shown = Both.Describe(url);
            Assert.DoesNotContain("Zq", shown, StringComparison.Ordinal);
            try
            {
                _ = PostgresLedger.ToConnectionString(url);
            }
            catch (LedgerConfigurationException ex)
            {
                Assert.DoesNotContain("Zq", ex.Message, StringComparison.Ordinal);
            }

            _ = secret;
        }, iter: Generators.Iterations(3000), threads: 1);

    [Fact]
    public void Any_text_given_as_a_location_is_claimed_by_a_backend_or_refused_as_a_usage_error()
        => Generators.AnyText.Sample(text =>
        {
            try
            {
                _ = Both.ProviderFor(text);
            }
            catch (LedgerConfigurationException)
            {
            }

            _ = Both.Describe(text);
        }, iter: Generators.Iterations(3000), threads: 1);
}
