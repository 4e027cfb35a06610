import Foundation
import HostSupport

/// `turn_end`'s `latency_ms` (docs/protocol.md §1): where one turn's time went, in milliseconds.
/// Voice stages count from the end of the caller's speech (the last frame the VAD scored as
/// speech); a typed turn has no speech, so its stages count from the message's arrival. Each
/// stage is cumulative ("end of speech → first agent audio"), absent when it did not happen.
public struct TurnLatency: Sendable, Equatable {
    /// The turn was decided over (silence window or semantic verdict).
    public var turnDecided: Double?
    /// The final transcript was ready (`user` with `final: true`).
    public var transcriptFinal: Double?
    /// The first `agent` event of the turn.
    public var firstAgentText: Double?
    /// The first frame of agent audio was sent.
    public var firstAgentAudio: Double?
    /// The tenant's model: from its first request in the turn to the first streamed token
    /// (time-to-first-token, not counted from the end of speech).
    public var modelFirstToken: Double?

    public init(turnDecided: Double? = nil, transcriptFinal: Double? = nil, firstAgentText: Double? = nil,
                firstAgentAudio: Double? = nil, modelFirstToken: Double? = nil) {
        self.turnDecided = turnDecided
        self.transcriptFinal = transcriptFinal
        self.firstAgentText = firstAgentText
        self.firstAgentAudio = firstAgentAudio
        self.modelFirstToken = modelFirstToken
    }

    /// Stage name (the JSON member and the metric's middle) and value.
    public var stages: [(name: String, milliseconds: Double)] {
        [("turn_decided", turnDecided), ("transcript_final", transcriptFinal), ("first_agent_text", firstAgentText),
         ("first_agent_audio", firstAgentAudio), ("model_first_token", modelFirstToken)].compactMap { stage in
            stage.1.map { (stage.0, $0) }
        }
    }

    public var isEmpty: Bool { stages.isEmpty }

    /// The `latency_ms` object: sorted keys, one decimal.
    var json: String {
        JSONText.object(stages.sorted { $0.name < $1.name }.map { ($0.name, String(format: "%.1f", $0.milliseconds)) })
    }

    /// The `/metrics` histogram of a stage (seconds, per tenant):
    /// `agent_host_turn_end_of_speech_to_first_audio_seconds` and its siblings.
    static func metricName(of stage: String) -> String {
        switch stage {
        case "model_first_token": "agent_host_turn_model_first_token_seconds"
        case "first_agent_audio": "agent_host_turn_end_of_speech_to_first_audio_seconds"
        case "first_agent_text": "agent_host_turn_end_of_speech_to_first_text_seconds"
        default: "agent_host_turn_end_of_speech_to_\(stage)_seconds"
        }
    }

    /// Buckets around the 0.1-1.5 s a spoken turn takes.
    static let buckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.75, 0.9, 1.0, 1.25, 1.5, 2, 3, 5, 10]

    /// Records every stage in the tenant's histograms.
    package func observe(in metrics: MetricsRegistry, tenant: String, voice: Bool) {
        for stage in stages {
            // A typed turn's stages are not "end of speech" figures: only the model's TTFT is shared.
            guard voice || stage.name == "model_first_token" else { continue }
            metrics.observe(Self.metricName(of: stage.name), stage.milliseconds / 1000, labels: ["tenant": tenant], buckets: Self.buckets)
        }
    }
}

/// Milliseconds between two `DispatchTime` uptimes.
package func millisecondsBetween(_ start: UInt64, _ end: UInt64) -> Double {
    Double(end &- start) / 1e6
}
