namespace AgentLedger.Server.Tests;

/// <summary>A ledger recorded once by <c>agentledger demo</c> (three runs, seed 7); each test serves its own copy.</summary>
public sealed class DemoLedger : IAsyncLifetime
{
    private string _directory = "";

    public string File => Path.Combine(_directory, "agentledger.db");

    public async ValueTask InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("agentledger-demo-").FullName;
        var (exitCode, _, stderr) = await ServeProcess.RunAsync(_directory, "demo", "--runs", "3", "--seed", "7");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"agentledger demo failed: {stderr}");
        }
    }

    /// <summary>A private copy of the demo ledger (the file and any WAL beside it).</summary>
    public string Copy()
    {
        var target = Directory.CreateTempSubdirectory("agentledger-demo-copy-").FullName;
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (System.IO.File.Exists(File + suffix))
            {
                System.IO.File.Copy(File + suffix, Path.Combine(target, "agentledger.db" + suffix));
            }
        }

        return Path.Combine(target, "agentledger.db");
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaning.
        }

        return ValueTask.CompletedTask;
    }
}
