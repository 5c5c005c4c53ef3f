using System.ClientModel;
using AgentLedger;
using AgentLedger.Samples.Debate;
using AgentLedger.Sqlite;
using Microsoft.Extensions.AI;
using OpenAI;

// dotnet run --project samples/AgentLedger.Samples.Debate -- [ledger.db] [run-id]
// Offline by default. To use a real OpenAI-compatible endpoint (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM,
// LM Studio...), set DEBATE_ENDPOINT (e.g. http://localhost:11434/v1), DEBATE_MODEL and, when the endpoint
// needs one, DEBATE_API_KEY. The key is only handed to the client, never printed.
var path = args.Length > 0 ? args[0] : "debate.db";
var runId = args.Length > 1 ? args[1] : $"debate-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
var endpoint = Environment.GetEnvironmentVariable("DEBATE_ENDPOINT");

Func<string, IChatClient> models = OfflineDebaters.ModelFor;
if (!string.IsNullOrWhiteSpace(endpoint))
{
    var model = Environment.GetEnvironmentVariable("DEBATE_MODEL") ?? "gpt-4o-mini";
    var key = Environment.GetEnvironmentVariable("DEBATE_API_KEY") is { Length: > 0 } k ? k : "unused";
    var client = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(endpoint) });
    models = _ => client.GetChatClient(model).AsIChatClient();
    Console.WriteLine($"models: {model} at {new Uri(endpoint).GetLeftPart(UriPartial.Authority)}");
}
else
{
    Console.WriteLine("models: offline (set DEBATE_ENDPOINT to use an OpenAI-compatible endpoint)");
}

await using var ledger = await Ledger.Create().UseSqlite().OpenAsync(path);
var summary = await Debate.RunAsync(ledger, runId, models);
Console.WriteLine($"recorded {summary.RunId}: {summary.EventCount} events, {summary.Tokens} tokens, winner {summary.Winner}");
Console.WriteLine($"next: agentledger --db {path} show {summary.RunId} | agentledger --db {path} stats --by model");
