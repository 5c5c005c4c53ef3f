using System.Text.Json.Nodes;
using AgentLedger.Agents;
using AgentLedger.Extensions.AI;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace AgentLedger.Samples.Debate;

/// <summary>
/// Two debaters and a moderator on Microsoft Agent Framework. Everything they do is recorded by the ledger
/// pieces a real application would add: <c>UseAgentLedger()</c> on each chat client (model calls, usage) and
/// on each agent (invocations), a <see cref="LedgerChatHistoryProvider"/> per agent (its conversation), and a
/// <see cref="LedgerRun"/> with one turn per round.
/// </summary>
public static class Debate
{
    public const string Motion = "Lighthouses should be run by machines, not keepers.";

    /// <summary>Runs the debate; <paramref name="modelFor"/> gives the chat client of each agent (by name).</summary>
    public static async Task<RunSummary> RunAsync(ILedger ledger, string runId, Func<string, IChatClient> modelFor, int rounds = 3, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(modelFor);
        var pro = Agent(ledger, modelFor("pro"), "pro", $"You argue FOR the motion: {Motion} One or two sentences.");
        var con = Agent(ledger, modelFor("con"), "con", $"You argue AGAINST the motion: {Motion} One or two sentences.");
        var moderator = Agent(ledger, modelFor("moderator"), "moderator", "You moderate. Name the winner (pro or con) first, then say why in one sentence.");

        await using var run = await ledger.BeginRunAsync(runId, new LedgerRunOptions
        {
            Details = new JsonObject { ["scenario"] = "debate", ["goal"] = Motion, ["cast"] = new JsonObject { ["pro"] = "debater", ["con"] = "debater", ["moderator"] = "judge" } },
        }, cancellationToken);
        var sessions = new Dictionary<string, AgentSession>();
        foreach (var (name, agent) in new[] { ("pro", pro), ("con", con), ("moderator", moderator) })
        {
            sessions[name] = await agent.Agent.CreateSessionAsync(cancellationToken);
            // One conversation per agent per run: a restarted process binds the same id and carries on.
            agent.History.UseConversation(sessions[name], $"{runId}.{name}");
        }

        var last = $"The motion: {Motion}";
        var transcript = new List<string>();
        for (var round = 1; round <= rounds; round++)
        {
            using (run.Turn(round))
            {
                var forIt = await pro.Agent.RunAsync($"Round {round}. Your opponent said: {last}", sessions["pro"], cancellationToken: cancellationToken);
                var against = await con.Agent.RunAsync($"Round {round}. Your opponent said: {forIt.Text}", sessions["con"], cancellationToken: cancellationToken);
                last = against.Text;
                transcript.Add($"pro: {forIt.Text}");
                transcript.Add($"con: {against.Text}");
            }
        }

        using (run.Turn(rounds + 1, "moderator"))
        {
            var verdict = await moderator.Agent.RunAsync(string.Join("\n", transcript), sessions["moderator"], cancellationToken: cancellationToken);
            var winner = verdict.Text.Split(' ', 2)[0].Trim(',', '.', ':').ToLowerInvariant();
            await run.AppendAsync("judge.verdict", new JsonObject { ["text"] = verdict.Text, ["winner"] = winner }, cancellationToken: cancellationToken);
            await run.FinishAsync("completed", new JsonObject { ["reason"] = "verdict", ["winner"] = winner, ["winner_kind"] = "agent" }, cancellationToken);
        }

        return await RunSummary.SummarizeAsync(ledger, runId, cancellationToken);
    }

    private static (AIAgent Agent, LedgerChatHistoryProvider History) Agent(ILedger ledger, IChatClient model, string name, string instructions)
    {
        var history = new LedgerChatHistoryProvider(ledger);
        var agent = new ChatClientAgent(
            model.AsBuilder().UseAgentLedger(ledger).Build(),
            new ChatClientAgentOptions { Name = name, ChatOptions = new ChatOptions { Instructions = instructions }, ChatHistoryProvider = history });
        return (new AIAgentBuilder(agent).UseAgentLedger(ledger).Build(), history);
    }
}
