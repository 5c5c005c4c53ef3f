using Microsoft.Agents.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentLedger.Agents;

/// <summary>Adds <see cref="LedgerAgent"/> to an agent pipeline.</summary>
public static class AgentLedgerAIAgentBuilderExtensions
{
    /// <summary>
    /// Records each invocation of the agent, with its name as actor, in <paramref name="ledger"/> (null: the
    /// <see cref="ILedgerWriter"/> registered by <c>services.AddAgentLedger()</c>).
    /// </summary>
    public static AIAgentBuilder UseAgentLedger(this AIAgentBuilder builder, ILedgerWriter? ledger = null, Action<LedgerAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerAgent, services) =>
        {
            var writer = ledger ?? services.GetRequiredService<ILedgerWriter>();
            var options = new LedgerAgentOptions();
            configure?.Invoke(options);
            return new LedgerAgent(innerAgent, writer, options);
        });
    }
}
