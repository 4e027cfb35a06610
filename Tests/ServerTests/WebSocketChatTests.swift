import Foundation
import Host
import HostNet
import XCTest

/// WS /ws/chat/{caller}: the same events as POST /v1/chat, as they happen.
final class WebSocketChatTests: ServerTestCase {
    override func setUp() async throws {
        try startServer()
    }

    var wsBase: String { base.replacingOccurrences(of: "http://", with: "ws://") }

    func testAConversationOverTheChatSocketAndAHangupThatIsPersisted() throws {
        let socket = try BlockingWebSocket(url: wsBase + "/ws/chat/%2B15557770000")
        let opening = socket.events(until: "session")
        XCTAssertEqual(opening.last?["caller"] as? String, "+15557770000")
        socket.send(text: #"{"type":"text","text":"I need a refund for order ORD-12345"}"#)
        let turn = socket.events(until: "turn_end")
        XCTAssertEqual(turn.first?["type"] as? String, "user")
        XCTAssertTrue(turn.contains { $0["type"] as? String == "handoff" && $0["to"] as? String == "Refund Agent" })
        XCTAssertEqual(turn.last?["agent"] as? String, "Refund Agent")

        socket.send(text: #"{"type":"end"}"#)
        let ending = socket.events(until: "end")
        XCTAssertEqual(ending.last?["reason"] as? String, "caller_hangup")
        if case .closed(let code, _)? = socket.receive(timeoutSeconds: 5) { XCTAssertEqual(code, 1000) } else { XCTFail("socket should close after end") }
        let previous = persistence.count
        XCTAssertEqual(previous, 1, "the session was handed to the store")
    }

    func testABadMessageGetsAnErrorEventAndTheSessionGoesOn() throws {
        let socket = try BlockingWebSocket(url: wsBase + "/ws/chat/caller-1")
        _ = socket.events(until: "session")
        socket.send(text: "this is not json")
        let error = socket.events(until: "error")
        XCTAssertEqual(error.last?["code"] as? String, "bad_message")
        for bad in [#"{"type":5}"#, #"["type","text"]"#, #"{"type":"text","text":5}"#, String(repeating: "[", count: 5_000)] {
            socket.send(text: bad)
            XCTAssertEqual(socket.events(until: "error").last?["code"] as? String, "bad_message", bad)
        }
        socket.send(text: #"{"type":"text","text":"hello"}"#)
        XCTAssertEqual(socket.events(until: "turn_end").last?["type"] as? String, "turn_end")
        _ = socket.close()
    }

    func testHandshakesAreRefusedForUnknownTenantsBadKeysAndUnknownPaths() throws {
        func status(_ url: String, headers: HTTPHeaders = [:]) -> Int? {
            do {
                let socket = try BlockingWebSocket(url: url, headers: headers)
                _ = socket.close()
                return 101
            } catch {
                return error.status
            }
        }
        XCTAssertEqual(status(wsBase + "/ws/chat/c?tenant=nobody"), 404)
        XCTAssertEqual(status(wsBase + "/ws/chat/c?tenant=secure"), 401)
        XCTAssertEqual(status(wsBase + "/ws/chat/c?tenant=secure&token=s3cret"), 101)
        XCTAssertEqual(status(wsBase + "/ws/chat/c?tenant=secure", headers: ["Authorization": "Bearer s3cret"]), 101)
        XCTAssertEqual(status(wsBase + "/ws/nope/c"), 404)
    }

    func testAClientThatDropsMidTurnEndsItsSessionAndOthersCarryOn() async throws {
        let dropper = try BlockingWebSocket(url: wsBase + "/ws/chat/dropper")
        _ = dropper.events(until: "session")
        dropper.send(text: #"{"type":"text","text":"what's my balance"}"#)
        _ = dropper.close(code: 1001)
        let other = try await chat("hello", caller: "+15550001111")
        XCTAssertEqual(other.status, 200)
        // The dropped session ends with caller_hangup and is persisted.
        for _ in 0..<100 where persistence.count == 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        XCTAssertEqual(persistence.count, 1)
    }
}
