import HostSupport

/// Turns stored interactions into what agents get as `previous_sessions` in the step context:
/// compact JSON objects, not whole transcripts (the context is sent on every step).
///
/// `{"session_id","ended_at","agents","tools","outcome","last_lines":[{"role","agent"?,"text"}]}`
/// — the same shape the in-memory persistence renders, so agents see one format.
public enum SessionSummary {
    /// One JSON object per interaction, oldest first; at most `limit` (the newest), each with the
    /// last `lastLines` transcript lines.
    public static func previousSessions(_ interactions: [SessionRecord.Interaction], limit: Int = 10, lastLines: Int = 4) -> [String] {
        interactions.suffix(max(limit, 0)).map { summary($0, lastLines: lastLines) }
    }

    public static func summary(_ interaction: SessionRecord.Interaction, lastLines: Int = 4) -> String {
        let q = JSONText.quote
        let lines = interaction.transcript.suffix(max(lastLines, 0)).map { line in
            "{\"role\":" + q(line.role) + (line.agent.map { ",\"agent\":" + q($0) } ?? "") + ",\"text\":" + q(line.text) + "}"
        }
        return "{\"session_id\":" + q(interaction.sessionID)
            + ",\"ended_at\":" + q(SessionRecord.timeText(interaction.endedAt))
            + ",\"agents\":[" + interaction.agents.map(q).joined(separator: ",") + "]"
            + ",\"tools\":[" + interaction.tools.map(q).joined(separator: ",") + "]"
            + ",\"outcome\":" + q(interaction.outcome)
            + ",\"last_lines\":[" + lines.joined(separator: ",") + "]}"
    }
}
