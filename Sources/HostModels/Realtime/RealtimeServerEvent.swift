import Foundation
import AgentHostJSON

/// The server events of the GA Realtime API the session acts on; anything else is `.other`.
enum RealtimeServerEvent: Equatable {
    case sessionCreated
    case sessionUpdated
    case speechStarted(atMilliseconds: Int, itemID: String)
    case speechStopped(atMilliseconds: Int, itemID: String)
    case committed(itemID: String)
    case inputTranscript(itemID: String, transcript: String)
    case responseCreated(responseID: String)
    case outputItemAdded(itemID: String, type: String, name: String?, callID: String?)
    case audioDelta(itemID: String, responseID: String, audio: [UInt8])
    case transcriptDelta(itemID: String, delta: String)
    case transcriptDone(itemID: String, transcript: String)
    case functionCallArgumentsDone(itemID: String, callID: String, name: String?, arguments: String)
    case responseDone(responseID: String, status: String)
    case itemTruncated(itemID: String, audioEndMilliseconds: Int)
    case error(type: String, code: String?, message: String)
    case other(type: String)

    struct Malformed: Error {
        let reason: String
    }

    /// Parses one text message. Audio deltas (most of the traffic: ~32 KB of base64 per second
    /// of speech) take a scanning fast path; the rest (transcript deltas arrive many times a
    /// second) go through the shared JSON parser, not JSONSerialization.
    static func decode(_ text: String) throws(Malformed) -> RealtimeServerEvent {
        if let delta = AudioDeltaScanner.scan(text) { return delta }
        guard let object = try? JSONValue.parse(text), case .object = object else {
            throw Malformed(reason: "not a JSON object: \(text.prefix(120))")
        }
        guard let type = object["type"]?.string else { throw Malformed(reason: "an event without a type: \(text.prefix(120))") }
        let string = { (key: String) in object[key]?.string ?? "" }
        let int = { (key: String) in object[key]?.int ?? 0 }
        switch type {
        case "session.created": return .sessionCreated
        case "session.updated": return .sessionUpdated
        case "input_audio_buffer.speech_started": return .speechStarted(atMilliseconds: int("audio_start_ms"), itemID: string("item_id"))
        case "input_audio_buffer.speech_stopped": return .speechStopped(atMilliseconds: int("audio_end_ms"), itemID: string("item_id"))
        case "input_audio_buffer.committed": return .committed(itemID: string("item_id"))
        case "conversation.item.input_audio_transcription.completed":
            return .inputTranscript(itemID: string("item_id"), transcript: string("transcript"))
        case "response.created":
            return .responseCreated(responseID: object["response"]?["id"]?.string ?? "")
        case "response.output_item.added", "response.output_item.done":
            let item = object["item"]
            guard type == "response.output_item.added" else { return .other(type: type) }
            return .outputItemAdded(itemID: item?["id"]?.string ?? "", type: item?["type"]?.string ?? "",
                                    name: item?["name"]?.string, callID: item?["call_id"]?.string)
        case "response.output_audio.delta":
            guard let audio = Data(base64Encoded: string("delta")) else { throw Malformed(reason: "audio delta is not base64") }
            return .audioDelta(itemID: string("item_id"), responseID: string("response_id"), audio: [UInt8](audio))
        case "response.output_audio_transcript.delta": return .transcriptDelta(itemID: string("item_id"), delta: string("delta"))
        case "response.output_audio_transcript.done": return .transcriptDone(itemID: string("item_id"), transcript: string("transcript"))
        case "response.function_call_arguments.done":
            return .functionCallArgumentsDone(itemID: string("item_id"), callID: string("call_id"),
                                              name: object["name"]?.string, arguments: string("arguments"))
        case "response.done":
            let response = object["response"]
            return .responseDone(responseID: response?["id"]?.string ?? "", status: response?["status"]?.string ?? "")
        case "conversation.item.truncated": return .itemTruncated(itemID: string("item_id"), audioEndMilliseconds: int("audio_end_ms"))
        case "error":
            let error = object["error"]
            return .error(type: error?["type"]?.string ?? "", code: error?["code"]?.string, message: error?["message"]?.string ?? "")
        default: return .other(type: type)
        }
    }
}

/// `response.output_audio.delta` without a JSON parser: find the three string fields by their
/// keys. Only taken when every value is a plain string without escapes (base64 and OpenAI's ids
/// never need any); anything unusual returns nil and goes through JSONSerialization.
enum AudioDeltaScanner {
    private static let typeMarker = Array("\"type\":\"response.output_audio.delta\"".utf8)

    static func scan(_ text: String) -> RealtimeServerEvent? {
        var text = text
        return text.withUTF8 { bytes -> RealtimeServerEvent? in
            guard find(typeMarker, in: bytes, from: 0) != nil,
                  let delta = value(of: "delta", in: bytes),
                  let item = value(of: "item_id", in: bytes),
                  let response = value(of: "response_id", in: bytes),
                  let audio = Data(base64Encoded: Data(UnsafeBufferPointer(rebasing: bytes[delta]))) else { return nil }
            return .audioDelta(itemID: String(decoding: UnsafeBufferPointer(rebasing: bytes[item]), as: UTF8.self),
                               responseID: String(decoding: UnsafeBufferPointer(rebasing: bytes[response]), as: UTF8.self),
                               audio: [UInt8](audio))
        }
    }

    /// The range of the string value of `"key":"..."`, or nil (missing, or escaped content).
    private static func value(of key: String, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let marker = Array("\"\(key)\":\"".utf8)
        guard let start = find(marker, in: bytes, from: 0).map({ $0 + marker.count }) else { return nil }
        var end = start
        while end < bytes.count {
            switch bytes[end] {
            case UInt8(ascii: "\""): return start..<end
            case UInt8(ascii: "\\"): return nil
            default: end += 1
            }
        }
        return nil
    }

    private static func find(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let first = pattern.first, bytes.count >= pattern.count else { return nil }
        var index = from
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first {
                var matched = true
                for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}
