import Foundation
import HostAudio
import HostNet
import HostOrchestration
import HostSupport

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
            guard let bytes = Data(base64Encoded: String(payload)) else { throw .malformed("media needs a base64 media.payload") }
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

    /// The payload of an inbound-track `media` message in the compact shape Twilio writes, else
    /// nil (and the JSON path decides). The shape is checked member by member, not searched for:
    /// a flat object of string members plus one `media` object of string members, no escapes, no
    /// whitespace, no key twice, `event` "media", `media.track` absent or "inbound". Searching the
    /// text for `"event":"media"` and the first `"payload":"` took other tracks, and nested or
    /// repeated keys, for the caller's audio (found by agent-host-fuzz twilio).
    private static func fastMediaPayload(_ text: String) -> Substring? {
        var scanner = CompactObjectScanner(text)
        guard let message = scanner.scan(), message.top["event"] == "media", let media = message.media,
              media["track"] == nil || media["track"] == "inbound" else { return nil }
        return media["payload"]
    }
}

/// Reads `{"k":"v",…,"media":{"k":"v",…},…}` exactly: string members without escapes, one nested
/// object named `media`, nothing else (no numbers, whitespace, arrays, deeper nesting or repeated
/// keys); anything else is nil.
private struct CompactObjectScanner {
    struct Message {
        var top: [Substring: Substring] = [:]
        var media: [Substring: Substring]?
    }

    private let text: String
    private var index: String.Index

    init(_ text: String) {
        self.text = text
        index = text.utf8.startIndex
    }

    mutating func scan() -> Message? {
        var message = Message()
        let complete = members(nested: false) { key, value, scanner in
            if value == nil {
                guard key == "media", message.media == nil, message.top[key] == nil else { return false }
                var media: [Substring: Substring] = [:]
                guard scanner.members(nested: true, { key, value, _ in
                    guard let value, media.updateValue(value, forKey: key) == nil else { return false }
                    return true
                }) else { return false }
                message.media = media
                return true
            }
            guard message.top.updateValue(value!, forKey: key) == nil, key != "media" || message.media == nil else { return false }
            return true
        }
        return complete && index == text.utf8.endIndex ? message : nil
    }

    /// `{` members `}`; `member` gets each key and its string value, or nil for an object value
    /// (only at the top), which it must read itself. False when anything does not fit.
    private mutating func members(nested: Bool,
                                  _ member: (Substring, Substring?, inout CompactObjectScanner) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")) else { return false }
            if !nested, peek(UInt8(ascii: "{")) {
                guard member(key, nil, &self) else { return false }
            } else {
                guard let value = string(), member(key, value, &self) else { return false }
            }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    private mutating func string() -> Substring? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let utf8 = text.utf8
        let start = index
        while index < utf8.endIndex, utf8[index] != UInt8(ascii: "\"") {
            guard utf8[index] != UInt8(ascii: "\\"), utf8[index] >= 0x20 else { return nil }
            utf8.formIndex(after: &index)
        }
        guard index < utf8.endIndex else { return nil }
        let value = text[start..<index]
        utf8.formIndex(after: &index)
        return value
    }

    private func peek(_ byte: UInt8) -> Bool { index < text.utf8.endIndex && text.utf8[index] == byte }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek(byte) else { return false }
        text.utf8.formIndex(after: &index)
        return true
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
package final class TwilioTransport: CallTransport, @unchecked Sendable {  // loop-confined
    let socket: WebSocketConnection
    let streamSid: String
    package let sampleRate = CallAudioFormat.twilio.sampleRate
    private let prefix: String
    private var inbound = CallAudioInbound(format: .twilio)
    package var wireFormat: CallAudioFormat { .twilio }

    package init(socket: WebSocketConnection, streamSid: String) {
        self.socket = socket
        self.streamSid = streamSid
        prefix = "{\"event\":\"media\",\"streamSid\":" + JSONText.quote(streamSid) + ",\"media\":{\"payload\":\""
    }

    /// `media` payloads (already base64-decoded by `TwilioInbound`): mu-law at 8 kHz.
    package func receive(_ bytes: [UInt8], at rate: Int) -> [Int16] { inbound.decode(bytes, at: rate) }

    /// The format is fixed (the `start`'s media format was checked when the stream started).
    package func configure(sampleRate: Int, encoding: String) throws(VoiceCallError) {
        throw .badStart("a Twilio Media Stream always carries mu-law at 8000 Hz")
    }

    package func send(event: ConversationEvent) {
        Logger.shared.log(.debug, "twilio", "\(streamSid) \(event.json)")
    }

    package func send(audio frame: ArraySlice<Int16>) {
        socket.send(text: prefix + Data(CallAudioCodec.encode(frame, as: .mulaw)).base64EncodedString() + "\"}}")
    }

    package func clearAudio() {
        socket.send(text: "{\"event\":\"clear\",\"streamSid\":" + JSONText.quote(streamSid) + "}")
    }

    package func replyFinished(_ reply: Int) {
        socket.send(text: "{\"event\":\"mark\",\"streamSid\":" + JSONText.quote(streamSid) + ",\"mark\":{\"name\":\"reply-\(reply)\"}}")
    }

    package func close() { socket.close(code: WebSocketCloseCode.normal, reason: "session ended") }
}
