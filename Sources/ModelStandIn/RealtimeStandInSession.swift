import Foundation
import HostNet

/// One Realtime connection of the stand-in. Loop-confined (the stand-in's loop thread).
final class RealtimeStandInSession: @unchecked Sendable {
    // @unchecked: every member is used on the loop thread only (WebSocket callbacks, its timer).
    private let loop: EventLoop
    private let model: String
    private let failure: RealtimeStandInFailure
    private let deltaInterval: UInt64
    private let record: @Sendable (RealtimeStandIn.Recorded) -> Void
    private var turns: [RealtimeScript.Turn]
    private let unscripted: RealtimeScript.Step
    private weak var connection: WebSocketConnection?
    private var ids = 0
    // session settings from session.update
    private var pcmu = false
    private var silenceMilliseconds = 500
    private var session: [String: Any] = [:]
    // VAD over appended audio
    private var audioMilliseconds = 0.0
    private var speaking = false
    private var quietMilliseconds = 0.0
    private var userItem = ""
    // the response being streamed: events to send, one audio delta per timer tick
    private var outbox: [String] = []
    private var responseID: String?
    private var pendingSteps: [RealtimeScript.Step] = []
    private var responses = 0
    private var pacer: LoopTimer?

    init(loop: EventLoop, script: RealtimeScript, model: String, failure: RealtimeStandInFailure, deltaInterval: UInt64,
         record: @escaping @Sendable (RealtimeStandIn.Recorded) -> Void) {
        self.loop = loop
        self.model = model
        self.failure = failure
        self.deltaInterval = deltaInterval
        self.record = record
        turns = script.turns
        unscripted = script.unscriptedReply
    }

    var handler: WebSocketHandler {
        WebSocketHandler(onOpen: { [self] connection in opened(connection) },
                         onText: { [self] _, text in received(text) },
                         onClose: { [self] _, _, _ in pacer?.close(); pacer = nil })
    }

    private func nextID(_ prefix: String) -> String {
        ids += 1
        return "\(prefix)_standin\(ids)"
    }

    private func emit(_ object: [String: Any]) {
        var object = object
        object["event_id"] = nextID("event")
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        connection?.send(text: String(decoding: data, as: UTF8.self))
    }

    private func opened(_ connection: WebSocketConnection) {
        self.connection = connection
        if failure == .hangAfterOpen { return }
        session = ["type": "realtime", "object": "realtime.session", "id": nextID("sess"), "model": model,
                   "output_modalities": ["audio"], "instructions": "", "tools": [],
                   "audio": ["input": ["format": ["type": "audio/pcm", "rate": 24000]], "output": ["format": ["type": "audio/pcm", "rate": 24000], "voice": "alloy"]]]
        emit(["type": "session.created", "session": session])
    }

    private func received(_ text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let type = object["type"] as? String else {
            record(.init(type: "?", json: text))
            return emit(["type": "error", "error": ["type": "invalid_request_error", "code": "invalid_json", "message": "Invalid JSON."]])
        }
        record(.init(type: type, json: text))
        if failure == .hangAfterOpen { return }
        switch type {
        case "session.update": updateSession(object["session"] as? [String: Any] ?? [:])
        case "input_audio_buffer.append": append(object["audio"] as? String ?? "")
        case "conversation.item.create":
            let item = object["item"] as? [String: Any] ?? [:]
            emit(["type": "conversation.item.added", "item": item.merging(["id": nextID("item")]) { old, _ in old }])
        case "response.create": startResponse(pendingSteps.isEmpty ? [unscripted] : pendingSteps)
        case "response.cancel": cancelResponse()
        case "conversation.item.truncate":
            emit(["type": "conversation.item.truncated", "item_id": object["item_id"] ?? "", "content_index": 0,
                  "audio_end_ms": object["audio_end_ms"] ?? 0])
        default:
            emit(["type": "error", "error": ["type": "invalid_request_error", "code": "unknown_event", "message": "Unknown event type \(type)."]])
        }
    }

    private func updateSession(_ update: [String: Any]) {
        for (key, value) in update { session[key] = value }
        let audio = update["audio"] as? [String: Any]
        let input = audio?["input"] as? [String: Any]
        pcmu = ((input?["format"] as? [String: Any])?["type"] as? String) == "audio/pcmu"
        if let vad = input?["turn_detection"] as? [String: Any], let silence = vad["silence_duration_ms"] as? Int {
            silenceMilliseconds = silence
        }
        emit(["type": "session.updated", "session": session])
    }

    // MARK: server VAD (energy over each appended chunk)

    private func append(_ base64: String) {
        guard let bytes = Data(base64Encoded: base64).map({ [UInt8]($0) }), !bytes.isEmpty else {
            return emit(["type": "error", "error": ["type": "invalid_request_error", "code": "invalid_audio", "message": "audio is not base64"]])
        }
        let samples = pcmu ? MuLawLevel.decode(bytes) : stride(from: 0, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
        let milliseconds = Double(samples.count) * 1000 / (pcmu ? 8000 : 24000)
        let level = samples.reduce(0.0) { $0 + Double(abs(Int($1))) } / Double(max(samples.count, 1))
        audioMilliseconds += milliseconds
        if level > 1000 {
            quietMilliseconds = 0
            guard !speaking else { return }
            speaking = true
            userItem = nextID("item")
            emit(["type": "input_audio_buffer.speech_started", "audio_start_ms": Int(audioMilliseconds - milliseconds), "item_id": userItem])
            if responseID != nil { cancelResponse() }   // interrupt_response
        } else if speaking {
            quietMilliseconds += milliseconds
            guard quietMilliseconds >= Double(silenceMilliseconds) else { return }
            speaking = false
            emit(["type": "input_audio_buffer.speech_stopped", "audio_end_ms": Int(audioMilliseconds - quietMilliseconds), "item_id": userItem])
            emit(["type": "input_audio_buffer.committed", "previous_item_id": NSNull(), "item_id": userItem])
            let turn = turns.isEmpty ? RealtimeScript.Turn(heard: "", steps: [unscripted]) : turns.removeFirst()
            emit(["type": "conversation.item.input_audio_transcription.completed", "item_id": userItem, "content_index": 0, "transcript": turn.heard])
            startResponse(turn.steps)
        }
    }

    // MARK: responses

    private func startResponse(_ steps: [RealtimeScript.Step]) {
        if responseID != nil { cancelResponse() }
        responses += 1
        let id = nextID("resp")
        responseID = id
        pendingSteps = []
        emit(["type": "response.created", "response": ["id": id, "object": "realtime.response", "status": "in_progress", "output": []]])
        if responses == 1, failure == .malformedJSON {
            connection?.send(text: "{\"type\":\"response.output_audio.delta\",\"delta\":\"AAAA")
            return
        }
        var queue: [String] = []
        let encode = { (object: [String: Any]) -> String in
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        var remaining = steps[...]
        var outputIndex = 0
        while let step = remaining.popFirst() {
            let itemID = nextID("item")
            switch step {
            case let .say(text, milliseconds):
                queue.append(encode(["type": "response.output_item.added", "response_id": id, "output_index": outputIndex,
                                     "item": ["id": itemID, "type": "message", "role": "assistant", "status": "in_progress", "content": []]]))
                for chunk in Tone.chunks(milliseconds: milliseconds, pcmu: pcmu) {
                    queue.append(encode(["type": "response.output_audio.delta", "response_id": id, "item_id": itemID,
                                         "output_index": outputIndex, "content_index": 0, "delta": chunk]))
                }
                queue.append(encode(["type": "response.output_audio_transcript.delta", "response_id": id, "item_id": itemID, "output_index": outputIndex, "content_index": 0, "delta": text]))
                queue.append(encode(["type": "response.output_audio.done", "response_id": id, "item_id": itemID, "output_index": outputIndex, "content_index": 0]))
                queue.append(encode(["type": "response.output_audio_transcript.done", "response_id": id, "item_id": itemID, "output_index": outputIndex, "content_index": 0, "transcript": text]))
                queue.append(encode(["type": "response.output_item.done", "response_id": id, "output_index": outputIndex,
                                     "item": ["id": itemID, "type": "message", "role": "assistant", "status": "completed"]]))
            case let .call(name, arguments):
                let callID = nextID("call")
                let item: [String: Any] = ["id": itemID, "type": "function_call", "status": "in_progress", "name": name, "call_id": callID, "arguments": ""]
                queue.append(encode(["type": "response.output_item.added", "response_id": id, "output_index": outputIndex, "item": item]))
                queue.append(encode(["type": "response.function_call_arguments.delta", "response_id": id, "item_id": itemID, "output_index": outputIndex, "call_id": callID, "delta": arguments]))
                queue.append(encode(["type": "response.function_call_arguments.done", "response_id": id, "item_id": itemID, "output_index": outputIndex,
                                     "call_id": callID, "name": name, "arguments": arguments]))
                queue.append(encode(["type": "response.output_item.done", "response_id": id, "output_index": outputIndex,
                                     "item": item.merging(["status": "completed", "arguments": arguments]) { _, new in new }]))
                pendingSteps = Array(remaining)   // the rest waits for function_call_output + response.create
                remaining = []
            }
            outputIndex += 1
        }
        queue.append(encode(["type": "response.done", "response": ["id": id, "object": "realtime.response", "status": "completed"]]))
        outbox = queue
        pump()
    }

    /// Sends events up to and including the next audio delta, then waits one tick.
    private func pump() {
        while !outbox.isEmpty {
            let event = outbox.removeFirst()
            connection?.send(text: event)
            if event.contains("\"type\":\"response.done\"") { responseID = nil }
            if event.contains("\"type\":\"response.output_audio.delta\"") {
                if responses == 1, failure == .dropMidStream {
                    outbox = []
                    connection?.drop()
                    return
                }
                if responses == 1, failure == .hangMidResponse {
                    outbox = []
                    return
                }
                let timer = pacer ?? LoopTimer(loop: loop)
                pacer = timer
                timer.start(after: deltaInterval) { [weak self] in self?.pump() }
                return
            }
        }
    }

    private func cancelResponse() {
        guard let id = responseID else { return }
        outbox = []
        pacer?.stop()
        responseID = nil
        emit(["type": "response.done", "response": ["id": id, "object": "realtime.response", "status": "cancelled",
                                                    "status_details": ["type": "cancelled", "reason": "turn_detected"]]])
    }
}

/// The stand-in's speech: a 440 Hz tone at about -12 dBFS, as base64 deltas of 100 ms.
enum Tone {
    static func chunks(milliseconds: Int, pcmu: Bool) -> [String] {
        let rate = pcmu ? 8000 : 24000
        let total = rate * milliseconds / 1000
        let samples = (0..<total).map { Int16(8000 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        let perChunk = rate / 10
        return stride(from: 0, to: total, by: perChunk).map { start in
            let slice = samples[start..<min(start + perChunk, total)]
            let bytes: [UInt8] = pcmu ? slice.map(MuLawLevel.encode) : slice.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
            return Data(bytes).base64EncodedString()
        }
    }
}

/// G.711 mu-law for the stand-in (it does not depend on HostAudio, the code under test).
enum MuLawLevel {
    static func decode(_ bytes: [UInt8]) -> [Int16] {
        bytes.map { byte in
            let value = ~byte
            let exponent = Int((value >> 4) & 7)
            let magnitude = ((Int(value & 0x0F) << 3) + 0x84) << exponent
            return Int16(value & 0x80 != 0 ? 0x84 - magnitude : magnitude - 0x84)
        }
    }

    static func encode(_ sample: Int16) -> UInt8 {
        let sign: UInt8 = sample < 0 ? 0x80 : 0
        let magnitude = min(Int(sample.magnitude), 32635) + 0x84
        var exponent = 7
        while exponent > 0, magnitude & (0x4000 >> (7 - exponent)) == 0 { exponent -= 1 }
        let mantissa = UInt8((magnitude >> (exponent + 3)) & 0x0F)
        return ~(sign | UInt8(exponent) << 4 | mantissa)
    }
}
