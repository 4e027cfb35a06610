import Foundation
import HostTestSupport
import TestSupport
import XCTest

/// Every caller-controlled field is bounded in bytes before anything reads it (issue #10, item 5):
/// a megabyte of chat text or a caller id of 400,000 combining accents gets a clear error and
/// never reaches the agents; the host keeps answering everyone. Real `agent-host serve`.
final class InputLimitTests: HostProcessTestCase {
    private func port(_ host: Host) -> Int { Int(host.url.split(separator: ":").last ?? "") ?? 0 }

    func testAHugeTurnTextIsRefusedWith413AndNoSessionStarts() throws {
        let host = try startHost("huge-text")
        let body = directory.file("huge.json")
        let text = String(repeating: "refund my order please ", count: 980_000 / 23)
        try #"{"caller":"+15556000001","text":"\#(text)"}"#.write(toFile: body, atomically: true, encoding: .utf8)
        let refused = try post(host.url + "/v1/chat", file: body)
        XCTAssertEqual(refused.status, 413, refused.body)
        XCTAssertTrue((refused.json["error"] as? String ?? "").contains("at most 4096 bytes"), refused.body)
        XCTAssertEqual(try get(host.url + "/health").json["active_sessions"] as? Int, 0, "nothing was started")
        // At the limit it is served.
        let limit = String(repeating: "a", count: 4096 - 10) + " balance?"
        let served = try post(host.url + "/v1/chat", #"{"caller":"+15556000001","text":"\#(limit)"}"#)
        XCTAssertEqual(served.status, 200, served.body)
    }

    func testTheTurnLimitIsConfigurable() throws {
        let host = try startHost("small-text", server: "  limits: {max_turn_text_bytes: 100}")
        let refused = try post(host.url + "/v1/chat", #"{"caller":"+15556000002","text":"\#(String(repeating: "b", count: 101))"}"#)
        XCTAssertEqual(refused.status, 413, refused.body)
        XCTAssertTrue(refused.body.contains("at most 100 bytes"), refused.body)
    }

    func testCallerIDsAreBoundedInBytesAndPrintable() throws {
        let host = try startHost("callers")
        // 400,000 combining accents are one character: refused by size before the body is even parsed...
        let body = directory.file("accents.json")
        try #"{"caller":"+1\#(String(repeating: "\u{301}", count: 400_000))","text":"hello"}"#.write(toFile: body, atomically: true, encoding: .utf8)
        XCTAssertEqual(try post(host.url + "/v1/chat", file: body).status, 413)
        // ...and 200 of them (400 bytes) by the caller id's byte limit.
        let combining = try post(host.url + "/v1/chat", #"{"caller":"+1\#(String(repeating: "\u{301}", count: 200))","text":"hello"}"#)
        XCTAssertEqual(combining.status, 400, combining.body)
        XCTAssertTrue(combining.body.contains("at most 64 bytes"), combining.body)
        for caller in [#"+1555\u0000"#, #"+1555\n6000003"#, #"+1555\u202e6000003"#, String(repeating: "9", count: 65)] {
            let reply = try post(host.url + "/v1/chat", #"{"caller":"\#(caller)","text":"hello"}"#)
            XCTAssertEqual(reply.status, 400, "\(caller): \(reply.body)")
        }
        let fine = try post(host.url + "/v1/chat", #"{"caller":"José +1 555 600 0003","text":"hello"}"#)
        XCTAssertEqual(fine.status, 200, fine.body)
        // The WebSocket path's caller is checked the same way.
        let socket = try RawClientSocket(port: port(host))
        XCTAssertEqual(socket.webSocketHandshake(path: "/ws/chat/" + String(repeating: "7", count: 65)), 400)
    }

    /// Over the chat socket, an oversized text gets an error event and close 1009.
    func testAnOversizedChatSocketMessageClosesWith1009() throws {
        let host = try startHost("socket-text")
        let socket = try RawClientSocket(port: port(host))
        XCTAssertEqual(socket.webSocketHandshake(path: "/ws/chat/%2B15556000004"), 101)
        _ = socket.events(until: "session")
        socket.sendText(#"{"type":"text","text":"\#(String(repeating: "c", count: 5000))"}"#)
        var error: [String: Any]?
        var closeCode: Int?
        while let frame = socket.readFrame() {
            if frame.opcode == 1, let event = (try? JSONSerialization.jsonObject(with: Data(frame.payload))) as? [String: Any],
               event["type"] as? String == "error" { error = event }
            if frame.opcode == 8 {
                closeCode = frame.payload.count >= 2 ? Int(frame.payload[0]) << 8 | Int(frame.payload[1]) : 0
                break
            }
        }
        XCTAssertEqual(error?["code"] as? String, "too_large")
        XCTAssertEqual(closeCode, 1009)
    }

    /// Twilio's `customParameters.caller` is bounded like any caller id: the stream is refused (1008).
    func testATwilioStreamWithAnOversizedCallerIsRefused() throws {
        let host = try startHost("twilio-caller")
        let socket = try RawClientSocket(port: port(host))
        XCTAssertEqual(socket.webSocketHandshake(path: "/twilio/media"), 101)
        let caller = String(repeating: "8", count: 10_000)
        socket.sendText(#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"MZ1","callSid":"CA1","accountSid":"AC1","tracks":["inbound"],"customParameters":{"caller":"\#(caller)"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#)
        var closeCode: Int?
        while let frame = socket.readFrame() {
            if frame.opcode == 8 {
                closeCode = frame.payload.count >= 2 ? Int(frame.payload[0]) << 8 | Int(frame.payload[1]) : 0
                break
            }
        }
        XCTAssertEqual(closeCode, 1008)
        XCTAssertTrue(host.logText.contains("at most 64 bytes"), host.logText)
    }
}
