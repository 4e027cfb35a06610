import Foundation
import FuzzKit
import HostVoice

/// Twilio Media Streams messages (`TwilioInbound.parse`): any text gives a message or a
/// `TwilioMessageError`. `media` (50 a second per call) has a fast path that reads the payload
/// without a JSON parser; whenever the text is JSON, the same object written differently (pretty,
/// keys sorted: never the fast path's shape) must be read the same way.
enum TwilioTarget {
    static let target = FuzzTarget(
        name: "twilio",
        summary: "Twilio Media Streams messages: media fast path agrees with the JSON path",
        dictionary: [#"{"event":"media","#, #""event":"media""#, #""payload":""#, #""media":{"#, #""track":"inbound""#,
                     #""track":"outbound""#, #""event":"start""#, #""start":{"streamSid":"MZ1","callSid":"CA1","#,
                     #""customParameters":{"tenant":"acme"}"#, #""mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}"#,
                     #""event":"stop""#, #""event":"mark""#, #""mark":{"name":"reply-1"}"#, #""event":"dtmf""#,
                     #""dtmf":{"digit":"5"}"#, #""streamSid":"MZ1""#, "//8=", "AAAA", "====", "\\u0022", "\\\"", "\"", "}", "{",
                     ":", ",", "1e999", "-1", "8000.5"],
        maxInputLength: 4_096
    ) { input throws(FuzzFailure) in
        let text = String(decoding: input, as: UTF8.self)
        let direct = outcome(text)
        if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)), JSONSerialization.isValidJSONObject(object),
           let rewritten = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) {
            let reread = outcome(String(decoding: rewritten, as: UTF8.self))
            try fuzzCheckEqual(direct, reread, "the message as sent vs the same JSON rewritten")
        }
        return signature([String(direct.prefix(while: { $0 != "(" }))])
    }

    /// The parse result as a comparable string.
    static func outcome(_ text: String) -> String {
        do {
            switch try TwilioInbound.parse(text) {
            case .connected: return "connected"
            case .start(let start):
                return "start(\(start.streamSid), \(start.callSid), \(start.customParameters.sorted { $0.key < $1.key }), "
                    + "\(start.encoding), \(start.sampleRate))"
            case .media(let payload): return "media(\(payload.count) bytes \(StableHash.of(payload)))"
            case .mark(let name): return "mark(\(name))"
            case .dtmf(let digit): return "dtmf(\(digit))"
            case .stop: return "stop"
            case .other(let event): return "other(\(event))"
            }
        } catch {
            return "error(\(error.description))"
        }
    }
}
