import Foundation
import HostModels
import HostNet
import ModelStandIn
import TestSupport
import XCTest

/// RealtimeSession against the local Realtime stand-in (ModelStandIn: a test double of the
/// OpenAI service speaking the GA wire format, not the real API).
final class RealtimeSessionTests: XCTestCase {
    private let orderTool = RealtimeTool(name: "lookup_order", description: "Find an order by id.",
                                         parametersJSON: #"{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}"#)

    private func configuration(_ standIn: RealtimeStandIn, format: RealtimeAudioFormat = .pcm16, key: String = "sk-standin",
                               stallMs: UInt64 = 3_000) -> RealtimeConfiguration {
        RealtimeConfiguration(url: standIn.url, apiKey: key, voice: "cedar", audioFormat: format,
                              turnDetection: RealtimeTurnDetection(threshold: 0.6, prefixPaddingMilliseconds: 200, silenceDurationMilliseconds: 400),
                              connectTimeoutMilliseconds: 2_000, stallTimeoutMilliseconds: stallMs)
    }

    func testSessionUpdateCarriesInstructionsToolsServerVADAndFormats() throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: []))
        let probe = RealtimeProbe(configuration: configuration(standIn), instructions: "You are \"Triage\".\nBe brief.", tools: [orderTool])
        XCTAssertTrue(probe.waitFor(line: "ready"))
        let update = try XCTUnwrap(standIn.received("session.update").first?.object["session"] as? [String: Any])
        XCTAssertEqual(update["type"] as? String, "realtime")
        XCTAssertEqual(update["instructions"] as? String, "You are \"Triage\".\nBe brief.")
        let tools = try XCTUnwrap(update["tools"] as? [[String: Any]])
        XCTAssertEqual(tools.count, 1)
        XCTAssertEqual(tools[0]["type"] as? String, "function")
        XCTAssertEqual(tools[0]["name"] as? String, "lookup_order")
        XCTAssertEqual(tools[0]["description"] as? String, "Find an order by id.")
        XCTAssertEqual((tools[0]["parameters"] as? [String: Any])?["required"] as? [String], ["order_id"])
        let audio = try XCTUnwrap(update["audio"] as? [String: Any])
        let input = try XCTUnwrap(audio["input"] as? [String: Any])
        XCTAssertEqual((input["format"] as? [String: Any])?["type"] as? String, "audio/pcm")
        XCTAssertEqual((input["format"] as? [String: Any])?["rate"] as? Int, 24000)
        let vad = try XCTUnwrap(input["turn_detection"] as? [String: Any])
        XCTAssertEqual(vad["type"] as? String, "server_vad")
        XCTAssertEqual(vad["threshold"] as? Double, 0.6)
        XCTAssertEqual(vad["prefix_padding_ms"] as? Int, 200)
        XCTAssertEqual(vad["silence_duration_ms"] as? Int, 400)
        XCTAssertEqual(vad["interrupt_response"] as? Bool, true)
        let output = try XCTUnwrap(audio["output"] as? [String: Any])
        XCTAssertEqual(output["voice"] as? String, "cedar")
        XCTAssertEqual((output["format"] as? [String: Any])?["type"] as? String, "audio/pcm")
        XCTAssertEqual((output["format"] as? [String: Any])?["rate"] as? Int, 24000)
    }

    func testCallerAudioIsAppendedAndTheReplyAudioIsPlayed() throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [.init(heard: "where is my order", steps: [.say("Let me check.", milliseconds: 500)])]))
        let probe = RealtimeProbe(configuration: configuration(standIn))
        XCTAssertTrue(probe.waitFor(line: "ready"))
        probe.speak(speechMs: 400, silenceMs: 600)
        XCTAssertTrue(probe.waitFor(line: "done:completed"))
        // 1,000 ms of caller audio went out as 20 ms appends, bytes intact.
        let appended = standIn.received("input_audio_buffer.append").compactMap { Data(base64Encoded: $0.object["audio"] as? String ?? "")?.count }
        XCTAssertEqual(appended.count, 50)
        XCTAssertEqual(appended.reduce(0, +), 24_000 * 2)
        // 500 ms of 24 kHz speech came back and was decoded.
        XCTAssertEqual(probe.audioSamples.value, 12_000)
        XCTAssertEqual(probe.lines.value, ["ready", "speech_started", "speech_stopped", "user:where is my order", "agent:Let me check.", "done:completed"])
    }

    func testMuLawIsPassedThroughBothWays() throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [.init(heard: "hi", steps: [.say("Hello.", milliseconds: 300)])]))
        let probe = RealtimeProbe(configuration: configuration(standIn, format: .pcmu))
        XCTAssertTrue(probe.waitFor(line: "ready"))
        let update = standIn.received("session.update").first?.object["session"] as? [String: Any]
        let audio = update?["audio"] as? [String: Any]
        XCTAssertEqual((audio?["input"] as? [String: Any])?["format"] as? [String: String], ["type": "audio/pcmu"])
        XCTAssertEqual((audio?["output"] as? [String: Any])?["format"] as? [String: String], ["type": "audio/pcmu"])
        probe.speak(pcmu: true)
        XCTAssertTrue(probe.waitFor(line: "done:completed"))
        XCTAssertEqual(probe.audioSamples.value, 2_400)   // 300 ms at 8 kHz
    }

    func testAFunctionCallIsAnsweredThenAResponseIsRequested() throws {
        let script = RealtimeScript(turns: [.init(heard: "order A1", steps: [.call(name: "lookup_order", arguments: #"{"order_id":"A1"}"#),
                                                                            .say("It shipped yesterday.", milliseconds: 200)])])
        let standIn = try RealtimeStandIn(script: script)
        let probe = RealtimeProbe(configuration: configuration(standIn), tools: [orderTool]) { session, call in
            session.sendFunctionOutput(callID: call.callID, output: #"{"status":"shipped"}"#)
        }
        XCTAssertTrue(probe.waitFor(line: "ready"))
        probe.speak()
        XCTAssertTrue(probe.waitFor(line: "agent:It shipped yesterday."))
        XCTAssertTrue(probe.lines.value.contains(#"call:lookup_order {"order_id":"A1"}"#))
        let created = try XCTUnwrap(standIn.received("conversation.item.create").first?.object["item"] as? [String: Any])
        XCTAssertEqual(created["type"] as? String, "function_call_output")
        XCTAssertEqual(created["output"] as? String, #"{"status":"shipped"}"#)
        XCTAssertTrue((created["call_id"] as? String ?? "").hasPrefix("call_"))
        // response.create came after the output, as the API requires.
        let types = standIn.received.map(\.type).filter { $0 == "conversation.item.create" || $0 == "response.create" }
        XCTAssertEqual(types, ["conversation.item.create", "response.create"])
    }

    func testBargeInTruncatesThePlayingItemAtWhatWasHeard() throws {
        // 3 s of reply at real-time pace (100 ms per delta every 100 ms): the caller interrupts.
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: [.init(heard: "tell me everything", steps: [.say("A long answer.", milliseconds: 3_000)])]),
                                          deltaIntervalMilliseconds: 100)
        let interrupted = LockedBox<String?>(nil)
        let probe = RealtimeProbe(configuration: configuration(standIn)) { _, _ in } onSpeech: { session in
            guard let playing = session.playingItemID else { return }
            interrupted.value = playing
            session.interrupt(playedMilliseconds: 250)
        }
        XCTAssertTrue(probe.waitFor(line: "ready"))
        probe.speak(speechMs: 300, silenceMs: 500)
        XCTAssertTrue(probe.waitFor { _ in probe.audioSamples.value >= 2_400 * 3 })   // 300 ms arrived
        probe.speak(speechMs: 300, silenceMs: 0)   // barge-in
        let truncate = try XCTUnwrap(standIn.waitFor("conversation.item.truncate").first?.object)
        XCTAssertEqual(truncate["audio_end_ms"] as? Int, 250)
        XCTAssertEqual(truncate["content_index"] as? Int, 0)
        XCTAssertNotNil(interrupted.value)
        XCTAssertEqual(truncate["item_id"] as? String, interrupted.value, "the item whose audio was playing")
        XCTAssertTrue(probe.waitFor(line: "done:cancelled"))
        XCTAssertLessThan(probe.audioSamples.value, 24_000 * 3, "the rest of the reply never came")
    }

    func testAHandoffUpdatesInstructionsAndTools() throws {
        let standIn = try RealtimeStandIn(script: RealtimeScript(turns: []))
        let probe = RealtimeProbe(configuration: configuration(standIn), instructions: "You are Triage.", tools: [])
        XCTAssertTrue(probe.waitFor(line: "ready"))
        probe.session.update(instructions: "You are Billing.", tools: [orderTool])
        probe.session.createResponse()
        XCTAssertTrue(probe.waitFor(line: "agent:How can I help?"))
        let updates = standIn.received("session.update").compactMap { $0.object["session"] as? [String: Any] }
        XCTAssertEqual(updates.count, 2)
        XCTAssertEqual(updates[1]["instructions"] as? String, "You are Billing.")
        XCTAssertEqual((updates[1]["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["lookup_order"])
    }
}
