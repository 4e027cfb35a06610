/// What the Realtime stand-in "hears" and answers, turn by turn. A turn starts when the caller's
/// appended audio goes loud and ends after the session's `silence_duration_ms` of quiet.
public struct RealtimeScript: Sendable {
    public enum Step: Sendable, Equatable {
        /// A spoken reply: `milliseconds` of a 440 Hz tone as audio deltas, `text` as its transcript.
        case say(String, milliseconds: Int)
        /// A function call; the response ends there and the rest of the turn waits for the
        /// client's `function_call_output` and `response.create`.
        case call(name: String, arguments: String)
    }

    public struct Turn: Sendable, Equatable {
        /// The transcript the stand-in reports for the caller's audio.
        public var heard: String
        public var steps: [Step]

        public init(heard: String, steps: [Step]) {
            self.heard = heard
            self.steps = steps
        }
    }

    public var turns: [Turn]
    /// The reply to a `response.create` when nothing scripted is pending (e.g. after a handoff).
    public var unscriptedReply: Step

    public init(turns: [Turn], unscriptedReply: Step = .say("How can I help?", milliseconds: 200)) {
        self.turns = turns
        self.unscriptedReply = unscriptedReply
    }
}

/// How the stand-in misbehaves, to test that the client reports it and the caller falls back.
public enum RealtimeStandInFailure: Sendable, Equatable {
    case none
    /// Answers the WebSocket upgrade with this HTTP status (401 bad key, 429, 503).
    case reject(status: Int)
    /// Accepts the WebSocket, then never says anything.
    case hangAfterOpen
    /// Starts the first response (response.created, one audio delta), then goes silent.
    case hangMidResponse
    /// Sends a broken JSON text instead of the first response's events.
    case malformedJSON
    /// Drops TCP (no close frame) after the first response's first audio delta.
    case dropMidStream
}
