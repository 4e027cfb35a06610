import Foundation
import HostNet

/// Renders the stand-in's replies as OpenAI's `chat.completion.chunk` / `chat.completion` JSON.
struct CompletionWriter {
    let id: String
    let model: String
    let created: Int
    let argumentPieceLength: Int

    func chunk(delta: String, finishReason: String? = nil) -> String {
        let finish = finishReason.map { "\"\($0)\"" } ?? "null"
        return #"{"id":"\#(id)","object":"chat.completion.chunk","created":\#(created),"model":\#(quote(model)),"system_fingerprint":"fp_standin","choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)}]}"#
    }

    /// The `data:` payloads of a streamed reply, `[DONE]` last.
    func streamEvents(_ reply: StandInReply) -> [String] {
        var events = [chunk(delta: #"{"role":"assistant","content":""}"#)]
        switch reply {
        case .text(let text):
            for piece in Self.wordPieces(text) { events.append(chunk(delta: #"{"content":\#(quote(piece))}"#)) }
            events.append(chunk(delta: "{}", finishReason: "stop"))
        case .toolCalls(let calls):
            for (index, call) in calls.enumerated() {
                let callID = "call_\(id.suffix(6))\(index)"
                events.append(chunk(delta: #"{"tool_calls":[{"index":\#(index),"id":"\#(callID)","type":"function","function":{"name":\#(quote(call.name)),"arguments":""}}]}"#))
                for piece in pieces(call.arguments) {
                    events.append(chunk(delta: #"{"tool_calls":[{"index":\#(index),"function":{"arguments":\#(quote(piece))}}]}"#))
                }
            }
            events.append(chunk(delta: "{}", finishReason: "tool_calls"))
        case .failure:
            break
        }
        events.append("[DONE]")
        return events
    }

    func whole(_ reply: StandInReply) -> String {
        var message = #"{"role":"assistant","content":null"#
        var finish = "stop"
        switch reply {
        case .text(let text):
            message = #"{"role":"assistant","content":\#(quote(text))"#
        case .toolCalls(let calls):
            finish = "tool_calls"
            let rendered = calls.enumerated().map { index, call in
                #"{"id":"call_\#(id.suffix(6))\#(index)","type":"function","function":{"name":\#(quote(call.name)),"arguments":\#(quote(call.arguments))}}"#
            }
            message += #","tool_calls":[\#(rendered.joined(separator: ","))]"#
        case .failure:
            break
        }
        message += "}"
        return #"{"id":"\#(id)","object":"chat.completion","created":\#(created),"model":\#(quote(model)),"choices":[{"index":0,"message":\#(message),"logprobs":null,"finish_reason":"\#(finish)"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#
    }

    /// Words with their following space, as tokenizers tend to cut text.
    static func wordPieces(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    func pieces(_ text: String) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(argumentPieceLength)))
            rest = rest.dropFirst(argumentPieceLength)
        }
        return pieces
    }
}

func quote(_ text: String) -> String { JSONString.quote(text) }
