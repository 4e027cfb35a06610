import Foundation
import HostAudio
import HostNet

/// Twilio Media Streams' wire format (bidirectional `<Connect><Stream>`): JSON text frames.
/// In: `connected`, `start` (stream and call ids, media format, the TwiML `<Parameter>`s as
/// `customParameters`), `media` (base64 mu-law 8 kHz, 20 ms per message), `mark` (a mark we sent
/// was played), `dtmf`, `stop`. Out: `media`, `mark`, `clear`.
package enum TwilioInbound {
    package struct Start: Sendable {
        package var streamSid: String
        package var callSid: String
        package var customParameters: [String: String]
        package var encoding: String
        package var sampleRate: Int
    }

    case connected
    case start(Start)
    case media(payload: [UInt8])
    case mark(name: String)
    case dtmf(digit: String)
    case stop
    case other(event: String)

    /// Parses one message; `media` (50 per second per call) takes a fast path without a JSON parser.
    package static func parse(_ text: String) throws(TwilioMessageError) -> TwilioInbound {
        if let payload = fastMediaPayload(text) {
            guard let bytes = Data(base64Encoded: String(payload)) else { throw .malformed("media payload is not base64") }
            return .media(payload: [UInt8](bytes))
        }
        guard let message = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let event = message["event"] as? String else {
            throw .malformed("expected a JSON object with an \"event\" (connected, start, media, mark, dtmf, stop)")
        }
        switch event {
        case "connected": return .connected
        case "start":
            guard let start = message["start"] as? [String: Any],
                  let streamSid = (start["streamSid"] as? String) ?? (message["streamSid"] as? String) else {
                throw .malformed("start needs start.streamSid")
            }
            let format = start["mediaFormat"] as? [String: Any] ?? [:]
            let parameters = (start["customParameters"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            return .start(Start(streamSid: streamSid, callSid: start["callSid"] as? String ?? "",
                                customParameters: parameters,
                                encoding: format["encoding"] as? String ?? "audio/x-mulaw",
                                sampleRate: (format["sampleRate"] as? NSNumber)?.intValue ?? 8_000))
        case "media":
            let media = message["media"] as? [String: Any] ?? [:]
            if let track = media["track"] as? String, track != "inbound" { return .other(event: "media:\(track)") }
            guard let payload = media["payload"] as? String, let bytes = Data(base64Encoded: payload) else {
                throw .malformed("media needs a base64 media.payload")
            }
            return .media(payload: [UInt8](bytes))
        case "mark": return .mark(name: (message["mark"] as? [String: Any])?["name"] as? String ?? "")
        case "dtmf": return .dtmf(digit: (message["dtmf"] as? [String: Any])?["digit"] as? String ?? "")
        case "stop": return .stop
        default: return .other(event: event)
        }
    }

    /// The payload of an inbound-track `media` message as Twilio writes it (no escapes), else nil.
    private static func fastMediaPayload(_ text: String) -> Substring? {
        guard text.contains("\"event\":\"media\""), !text.contains("\\"),
              !text.contains("\"track\":\"outbound\""),
              let key = text.range(of: "\"payload\":\"") else { return nil }
        let rest = text[key.upperBound...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        return rest[..<close]
    }
}

package struct TwilioMessageError: Error, CustomStringConvertible {
    package let description: String
    static func malformed(_ problem: String) -> TwilioMessageError { TwilioMessageError(description: problem) }
}

/// A call's output in Twilio's format: agent audio as base64 mu-law `media` messages (paced by
/// the call in real time, so a barge-in has little to flush), a `mark` after each reply, and
/// `clear` on barge-in so Twilio drops what it buffered. Twilio has no event stream: conversation
/// events go to the log at debug level (the session record keeps the transcript).
final class TwilioTransport: CallTransport, @unchecked Sendable {  // loop-confined
    let socket: WebSocketConnection
    let streamSid: String
    let sampleRate = 8_000
    private let prefix: String

    init(socket: WebSocketConnection, streamSid: String) {
        self.socket = socket
        self.streamSid = streamSid
        prefix = "{\"event\":\"media\",\"streamSid\":" + JSONText.quote(streamSid) + ",\"media\":{\"payload\":\""
    }

    func send(event: ConversationEvent) {
        Logger.shared.log(.debug, "twilio", "\(streamSid) \(event.json)")
    }

    func send(audio frame: ArraySlice<Int16>) {
        socket.send(text: prefix + Data(MuLaw.encode(frame)).base64EncodedString() + "\"}}")
    }

    func clearAudio() {
        socket.send(text: "{\"event\":\"clear\",\"streamSid\":" + JSONText.quote(streamSid) + "}")
    }

    func replyFinished(_ reply: Int) {
        socket.send(text: "{\"event\":\"mark\",\"streamSid\":" + JSONText.quote(streamSid) + ",\"mark\":{\"name\":\"reply-\(reply)\"}}")
    }

    func close() { socket.close(code: WebSocketCloseCode.normal, reason: "session ended") }
}
