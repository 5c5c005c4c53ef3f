using AgentLedger.Extensions.AI;
using Microsoft.Extensions.AI;

namespace AgentLedger.Samples.Debate;

/// <summary>Offline models for the debate: deterministic lines, plausible usage, a concrete model id each.</summary>
public static class OfflineDebaters
{
    private static readonly string[] InFavour =
    [
        "Machines never sleep through a storm, and a lamp that never fails saves more ships than a keeper who might.",
        "Automated lights have run for decades on remote rocks where no keeper could be supplied.",
        "A keeper's salary buys many spare bulbs, batteries and a satellite alarm.",
    ];

    private static readonly string[] Against =
    [
        "A machine cannot row out to a wreck, and a keeper sees the ship that the sensor misses.",
        "When the power fails at midnight, only a person on the rock can light the backup.",
        "Keepers record the weather, the sea and the ships: that knowledge is lost when the door is locked.",
    ];

    public static IChatClient ModelFor(string agent) => agent switch
    {
        "pro" => new OfflineChatClient("offline/debater-pro-1", request => InFavour[Round(request) % InFavour.Length], seed: 1),
        "con" => new OfflineChatClient("offline/debater-con-1", request => Against[Round(request) % Against.Length], seed: 2),
        _ => new OfflineChatClient("offline/moderator-1", request => Verdict(request[^1].Text), seed: 3),
    };

    // The round is in the request ("Round 2. ..."): the history provider puts earlier rounds before it.
    private static int Round(IReadOnlyList<ChatMessage> request)
        => int.TryParse(request[^1].Text.Split(' ', 3)[1].TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture, out var round) ? round - 1 : 0;

    private static string Verdict(string transcript)
    {
        var pro = transcript.Split('\n').Where(l => l.StartsWith("pro:", StringComparison.Ordinal)).Sum(l => l.Length);
        var con = transcript.Split('\n').Where(l => l.StartsWith("con:", StringComparison.Ordinal)).Sum(l => l.Length);
        return pro > con ? "Pro, for the more concrete case." : "Con, for the human cost the other side left out.";
    }
}
