import Foundation
import Glibc
import Host
import HostNet
import HostTestSupport
import XCTest

/// A chat conversation still open at a draining host's deadline moves to another host instead of
/// ending (docs/scaling.md): two real `agent-host serve` sharing a real redis-server; the first is
/// SIGTERMed with a 2 s drain deadline while an HTTP conversation and a chat socket are open on it.
final class ChatHandOverTests: HostProcessTestCase {
    func interactions(_ caller: String) throws -> [[String: Any]] {
        let json = try redis.cli("GET", "support:session:demo:\(caller)")
        guard let record = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return [] }
        return record["interactions"] as? [[String: Any]] ?? []
    }

    func testOpenConversationsMoveToAnotherHostAtTheDrainDeadlineAndAreRecordedOnce() throws {
        let first = try startHost("first", drainSeconds: 2)
        let second = try startHost("second")
        let httpCaller = "+15554460001", socketCaller = "+15554460002"
        let opened = try post(first.url + "/v1/chat", #"{"caller":"\#(httpCaller)","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(opened.status, 200, opened.body)
        let httpID = opened.sessionID

        let socket = try BlockingWebSocket(url: first.url.replacingOccurrences(of: "http://", with: "ws://") + "/ws/chat/%2B15554460002")
        var socketID = ""
        var closed: (UInt16, String)?
        func read(until type: String) -> [[String: Any]] {
            var events: [[String: Any]] = []
            while let message = socket.receive(timeoutSeconds: 15) {
                if case .closed(let code, let reason) = message { closed = (code, reason); break }
                guard case .text(let text) = message,
                      let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { continue }
                events.append(event)
                if let id = event["session_id"] as? String, socketID.isEmpty { socketID = id }
                if event["type"] as? String == type { break }
            }
            return events
        }
        _ = read(until: "session")
        socket.send(text: #"{"type":"text","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertEqual(read(until: "turn_end").last?["agent"] as? String, "Refund Agent")
        XCTAssertFalse(socketID.isEmpty)

        // Drain: at the 2 s deadline both conversations are handed over, not ended.
        kill(first.pid, SIGTERM)
        let tail = read(until: "end")
        XCTAssertFalse(tail.contains { $0["type"] as? String == "end" }, "a handed-over conversation got an end: \(tail)")
        XCTAssertEqual(closed?.0, 1012, "the socket was not closed with 1012 (service restart): \(String(describing: closed))")
        XCTAssertTrue(closed?.1.contains("session_id") == true, "the close reason does not say how to continue: \(String(describing: closed))")
        XCTAssertEqual(waitForExit(first, timeout: 30), 0, first.logText.suffix(2000).description)

        // Each is recorded (a conversation nobody continues is not lost), its lease is free, its checkpoint kept.
        for (caller, id) in [(httpCaller, httpID), (socketCaller, socketID)] {
            let saved = try interactions(caller)
            XCTAssertEqual(saved.map { $0["session_id"] as? String }, [id], "\(saved)")
            XCTAssertEqual(saved.first?["outcome"] as? String, "handed_over")
            XCTAssertEqual(try redis.cli("EXISTS", "support:chat-owner:demo:\(id)"), "0", "the draining host kept the lease")
            XCTAssertEqual(try redis.cli("EXISTS", "support:chat:demo:\(id)"), "1", "the checkpoint went with the host")
        }

        // HTTP: the next request continues on the other host, where it was.
        let next = try post(second.url + "/v1/chat", #"{"session_id":"\#(httpID)","text":"yes"}"#)
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertEqual(next.json["agent"] as? String, "Refund Agent", next.body)
        XCTAssertFalse(next.types.contains("session"))
        let end = try post(second.url + "/v1/chat", #"{"session_id":"\#(httpID)","end":true}"#)
        XCTAssertEqual(end.types.last, "end", end.body)

        // Socket: reconnecting with ?session_id= continues it.
        let again = try BlockingWebSocket(url: second.url.replacingOccurrences(of: "http://", with: "ws://") + "/ws/chat/%2B15554460002?session_id=\(socketID)")
        again.send(text: #"{"type":"text","text":"yes"}"#)
        var turn: [String] = []
        while let message = again.receive(timeoutSeconds: 10), case .text(let text) = message {
            turn.append(text)
            if text.contains(#""type":"turn_end""#) { break }
        }
        XCTAssertTrue(turn.last?.contains("Refund Agent") == true, "\(turn)")
        again.send(text: #"{"type":"end"}"#)
        while let message = again.receive(timeoutSeconds: 10), case .text(let text) = message, !text.contains(#""type":"end""#) {}

        // Recorded once, when it really ended: the handed_over interaction replaced, both hosts' turns in it.
        for (caller, id) in [(httpCaller, httpID), (socketCaller, socketID)] {
            XCTAssertTrue(try eventually(10) { try interactions(caller).first?["outcome"] as? String == "caller_hangup" }, "\((try? interactions(caller)) ?? [])")
            let saved = try interactions(caller)
            XCTAssertEqual(saved.map { $0["session_id"] as? String }, [id], "recorded twice: \(saved)")
            let transcript = "\(saved.first?["transcript"] ?? "")"
            XCTAssertTrue(transcript.contains("ORD-12345") && transcript.contains("yes"), transcript)
        }
    }
}
