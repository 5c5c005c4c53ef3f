using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentLedger.Extensions.AI;

/// <summary>Adds <see cref="LedgerChatClient"/> to an <see cref="IChatClient"/> pipeline.</summary>
public static class AgentLedgerChatClientBuilderExtensions
{
    /// <summary>
    /// Records every model call of the pipeline in <paramref name="ledger"/> (null: the
    /// <see cref="ILedgerWriter"/> registered by <c>services.AddAgentLedger()</c>).
    /// </summary>
    /// <param name="configure">Adjusts the client's <see cref="LedgerChatClientOptions"/> once it is built.</param>
    public static ChatClientBuilder UseAgentLedger(this ChatClientBuilder builder, ILedgerWriter? ledger = null, Action<LedgerChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerClient, services) =>
        {
            var writer = ledger ?? services.GetRequiredService<ILedgerWriter>();
            var options = new LedgerChatClientOptions();
            configure?.Invoke(options);
            return new LedgerChatClient(innerClient, writer, options);
        });
    }
}
