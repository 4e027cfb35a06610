import Foundation
import HostNet

/// The client events of the GA Realtime API, written as JSON by hand: they go out for every
/// 20 ms of caller audio, so no JSONSerialization and no intermediate dictionaries.
enum RealtimeClientEvents {
    /// `session.update`: instructions, tools, server VAD and both audio formats.
    static func sessionUpdate(instructions: String, tools: [RealtimeTool], configuration: RealtimeConfiguration) -> String {
        let format = formatJSON(configuration.audioFormat)
        let vad = configuration.turnDetection
        let toolList = tools.map { tool in
            "{\"type\":\"function\",\"name\":\(quote(tool.name)),\"description\":\(quote(tool.description)),\"parameters\":\(tool.parametersJSON.isEmpty ? "{\"type\":\"object\",\"properties\":{}}" : tool.parametersJSON)}"
        }.joined(separator: ",")
        return "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"instructions\":\(quote(instructions)),"
            + "\"tools\":[\(toolList)],\"tool_choice\":\"auto\","
            + "\"audio\":{\"input\":{\"format\":\(format),\"turn_detection\":{\"type\":\"server_vad\",\"threshold\":\(vad.threshold),"
            + "\"prefix_padding_ms\":\(vad.prefixPaddingMilliseconds),\"silence_duration_ms\":\(vad.silenceDurationMilliseconds),"
            + "\"create_response\":true,\"interrupt_response\":true}},"
            + "\"output\":{\"format\":\(format),\"voice\":\(quote(configuration.voice))}}}}"
    }

    static func formatJSON(_ format: RealtimeAudioFormat) -> String {
        format == .pcm16 ? "{\"type\":\"audio/pcm\",\"rate\":24000}" : "{\"type\":\"audio/pcmu\"}"
    }

    /// `input_audio_buffer.append` with the audio as base64 (base64 needs no escaping).
    static func appendAudio(_ bytes: [UInt8]) -> String {
        "{\"type\":\"input_audio_buffer.append\",\"audio\":\"\(Data(bytes).base64EncodedString())\"}"
    }

    static func functionCallOutput(callID: String, output: String) -> String {
        "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\",\"call_id\":\(quote(callID)),\"output\":\(quote(output))}}"
    }

    static let responseCreate = "{\"type\":\"response.create\"}"
    static let responseCancel = "{\"type\":\"response.cancel\"}"

    static func truncate(itemID: String, audioEndMilliseconds: Int) -> String {
        "{\"type\":\"conversation.item.truncate\",\"item_id\":\(quote(itemID)),\"content_index\":0,\"audio_end_ms\":\(audioEndMilliseconds)}"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quote(_ text: String) -> String { JSONString.quote(text) }
}
