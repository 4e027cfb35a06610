import Foundation
import Glibc
import HostTestSupport
import TestSupport
import XCTest

/// A lapsed lease is not a dead host (docs/scaling.md, "Owner leases"): when Redis is away longer
/// than the lease's TTL, a live call's lease lapses with nobody dead. A callback that finds it so
/// asks the owner first (a connection to its address) and leaves the call to it.
extension VoiceCallbackTests {
    func testACallWhoseLeaseLapsedDuringARedisOutageIsNotTakenWhileItsHostLives() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460088"
        let (call, id) = try await callReachingRefunds(first, caller: caller)

        // Redis is away longer than the lease's TTL (15 s), keeping the call's checkpoint.
        redis.stop(persist: true)
        usleep(16_500_000)
        // The first host is held still while Redis comes back, so that its renewal cannot take the
        // lease back before the callback looks (the race the callback must not depend on winning).
        kill(first.pid, SIGSTOP)
        var thawed = false
        defer { if !thawed { kill(first.pid, SIGCONT) } }
        try redis.start()
        XCTAssertEqual(try redis.cli("EXISTS", "support:chat-owner:demo:\(id)"), "0", "the test needs the lease to have lapsed")
        XCTAssertEqual(try redis.cli("HEXISTS", callKey(caller), id), "1", "the test needs the checkpoint to outlive the outage")
        XCTAssertTrue(try eventually(20) { try get(second.url + "/health").json["status"] as? String == "ok" }, "the second host did not reconnect")

        // The caller calls again on the second host (a second line): the live call is not taken,
        // and its lease is not even written meanwhile (the owner is asked first): a renewal of the
        // live host falling between a write and its release would count a lease lost that was not.
        let ((other, session), commands) = try await redis.monitor { try await greetedCall(second, caller: caller) }
        assertStartsAfresh(session, "a live call was taken for lost after a Redis outage")
        let leaseWrites = commands.filter { $0.contains("\"support:chat-owner:demo:\(id)\"") && $0.contains("EVAL") }
        XCTAssertEqual(leaseWrites, [], "the callback wrote the live call's lease")
        XCTAssertEqual(try redis.cli("HEXISTS", callKey(caller), id), "1", "the live call's checkpoint was taken")
        XCTAssertFalse(try storedSessionIDs(caller: caller).contains(id), "the live call was recorded as lost")

        // The first host goes on with it, and it is recorded once, as it ends.
        kill(first.pid, SIGCONT)
        thawed = true
        call.socket.send(text: #"{"type":"text","text":"ORD-12345"}"#)
        let lookedUp = try await call.wait { $0.compactMap(\.json).contains { $0["type"] as? String == "tool_call" && $0["tool"] as? String == "lookup_order" } }
        XCTAssertTrue(lookedUp, "the live call did not go on: \(call.events)")
        for each in [call, other] { each.socket.send(text: #"{"type":"end"}"#) }
        XCTAssertTrue(try eventually(15) { try storedSessionIDs(caller: caller).count == 2 }, "\((try? storedSessionIDs(caller: caller)) ?? [])")
        let recorded = try interactions(caller).filter { $0["session_id"] as? String == id }
        XCTAssertEqual(recorded.count, 1)
        XCTAssertEqual(recorded.first?["outcome"] as? String, "caller_hangup", "\(recorded)")
        XCTAssertTrue(try eventually(10) { try redis.cli("EXISTS", callKey(caller)) == "0" }, "a checkpoint outlived its call")
        for each in [call, other] { each.close() }
    }

    /// A machine that vanishes (power, network) answers nothing: its address neither refuses nor
    /// accepts. Once its heartbeat and the call's lease have lapsed, a callback takes the call up
    /// (the heartbeat, gone from a Redis that answers, tells it from a hung host).
    func testACallWhoseHostVanishedIsContinuedOnceItsHeartbeatIsGone() async throws {
        let first = try startHost("first")
        let second = try startHost("second")
        let caller = "+15554460089"
        let (lost, id) = try await callReachingRefunds(first, caller: caller)
        let owner = try XCTUnwrap(ChatCheckpointOwner(json: try redis.cli("HGET", callKey(caller), id)), "the checkpoint names its owner")

        kill(first.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(first))
        lost.close()
        // Where the host was, nothing answers any more.
        let port = try XCTUnwrap(Int(first.url.split(separator: ":").last ?? ""))
        let silent = try SilentPort(port: port)
        defer { silent.close() }
        let probe = try ProcessRunner.run("curl", ["-s", "-m", "2", "-o", "/dev/null", first.url + "/health"])
        XCTAssertEqual(probe.status, 28, "the test needs an address that answers nothing (curl timed out)")
        XCTAssertTrue(try eventually(25) {
            try redis.cli("EXISTS", "agent-host:fleet:\(owner.hostID)") == "0" && redis.cli("EXISTS", "support:chat-owner:demo:\(id)") == "0"
        }, "the vanished host's heartbeat and the call's lease lapse")

        let (call, session) = try await greetedCall(second, caller: caller)
        XCTAssertEqual(session["continues"] as? String, id, "the lost call is taken up: \(session)")
        XCTAssertEqual(session["agent"] as? String, "Refund Agent", "\(session)")
        XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: caller).contains(id) }, "the lost call was not recorded")
        XCTAssertEqual(try interactions(caller).filter { $0["session_id"] as? String == id }.first?["outcome"] as? String, "host_lost")
        call.socket.send(text: #"{"type":"end"}"#)
        call.close()
    }
}

/// The `host_id` of a call checkpoint's `owner` (docs/protocol.md §8).
private struct ChatCheckpointOwner {
    let hostID: String
    init?(json: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
              let owner = object["owner"] as? [String: Any], let hostID = owner["host_id"] as? String else { return nil }
        self.hostID = hostID
    }
}

/// A loopback port that answers nothing, as a vanished machine's address: a listening socket that
/// never accepts, its accept queue filled, so Linux drops every further SYN (tcp_abort_on_overflow
/// off, the default) and a connection attempt neither succeeds nor is refused.
private final class SilentPort {
    private var sockets: [Int32] = []

    init(port: Int) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        sockets.append(listener)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 0) == 0 else {
            close()
            throw SilentPortError(description: "cannot listen on 127.0.0.1:\(port): errno \(errno)")
        }
        for _ in 0..<3 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            sockets.append(client)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        usleep(300_000)
    }

    func close() {
        for each in sockets { Glibc.close(each) }
        sockets = []
    }

    struct SilentPortError: Error, CustomStringConvertible { let description: String }
}

