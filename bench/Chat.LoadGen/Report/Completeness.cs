using Chat.LoadGen.Coordinator;

namespace Chat.LoadGen.Report;

/// <summary>Which peer and scenario pairs of a run produced no numbers, and why.</summary>
internal static class Completeness
{
    public static List<string> Missing(Options options, BenchResults results)
    {
        var missing = new List<string>();
        foreach (var scenario in options.Scenarios)
        {
            foreach (var peer in options.Peers)
            {
                switch (scenario)
                {
                    case "fanout":
                        foreach (var members in options.Members)
                        {
                            foreach (var nodes in peer == "ours" ? options.Nodes : [1])
                            {
                                var run = results.Fanout.FirstOrDefault(r => r.Peer.StartsWith(peer, StringComparison.Ordinal) && r.Nodes == nodes && r.Members == members);
                                if (run is null || run.Error is not null || !run.Steps.Any(s => s.Delivered > 0 && s.Delivery.P99 is not null))
                                {
                                    missing.Add($"fanout {peer} ({nodes} node{(nodes == 1 ? "" : "s")}) N={members}: {run?.Error ?? "no step delivered anything"}");
                                }
                            }
                        }

                        break;
                    case "rooms":
                        var rooms = results.Rooms.FirstOrDefault(r => r.Peer == peer);
                        if (rooms is null || rooms.Error is not null || rooms.Delivered == 0 || rooms.Delivery.P99 is null)
                        {
                            missing.Add($"rooms {peer}: {rooms?.Error ?? "nothing delivered"}");
                        }

                        break;
                    case "idle":
                        foreach (var count in options.IdleCounts)
                        {
                            var idle = results.Idle.FirstOrDefault(r => r.Peer == peer && r.Sockets == count);
                            if (idle is null || idle.Error is not null || idle.LoadedRssBytes <= 0 || idle.Joined != count)
                            {
                                missing.Add($"idle {peer} N={count}: {idle?.Error ?? "not measured"}");
                            }
                        }

                        break;
                    case "chat":
                        foreach (var store in options.Stores)
                        {
                            var name = store.ToString().ToLowerInvariant();
                            var chat = results.Chat.Where(r => r.Peer == peer && r.Store == name).ToList();
                            if (chat.Count == 0 || chat.Any(r => r.Error is not null) || !chat.Any(r => r.Acked > 0 && r.Delivered > 0 && r.Ack.P99 is not null))
                            {
                                missing.Add($"chat {peer} on {name}: {chat.FirstOrDefault(r => r.Error is not null)?.Error ?? "nothing acknowledged"}");
                            }
                        }

                        break;
                }
            }
        }

        return missing;
    }
}
