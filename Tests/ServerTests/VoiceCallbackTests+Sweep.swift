import Foundation
import Glibc
import HostTestSupport
import XCTest

/// A lost call whose caller never calls back is still recorded (HostServer+LostCallSweep.swift):
/// real `agent-host serve` processes and a real redis-server. A host sweeping every second leaves
/// another host's live call alone; once that host is SIGKILLed, it records the call `host_lost`
/// with no callback at all, and a caller who calls back afterwards is still continued where they were.
extension VoiceCallbackTests {
    func testALostCallWhoseCallerNeverCallsBackIsRecordedByAnotherHostAndStillContinued() async throws {
        let first = try startHost("first")
        let sweeper = try startHost("sweeper", server: "  lost_call_sweep_seconds: 1\n")
        let caller = "+15554460004"
        let (lost, lostID) = try await callReachingRefunds(first, caller: caller)
        let checkpoint = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try redis.cli("HGET", callKey(caller), lostID).utf8)) as? [String: Any])
        let instance = try XCTUnwrap((checkpoint["owner"] as? [String: Any])?["instance"] as? String, "\(checkpoint)")
        let index = "support:calls-of:\(instance)"
        let listed = try redis.cli("HGET", "support:call-owners", instance)
        XCTAssertTrue(listed.contains(#""first_call_started_at":"\#(checkpoint["started_at"] as? String ?? "?")""#), "the call's process is not listed: \(listed)")
        XCTAssertEqual(try redis.cli("SCARD", index), "1", "the call is not in its process's index")

        // Three sweeps of a live host's call: it is left alone.
        try await Task.sleep(nanoseconds: 3_500_000_000)
        XCTAssertEqual(try storedSessionIDs(caller: caller), [], "a live call was recorded as lost")
        XCTAssertEqual(try redis.cli("SCARD", index), "1")

        // Its host dies and the caller does not call back: the sweeping host records the call.
        kill(first.pid, SIGKILL)
        XCTAssertNotNil(waitForExit(first))
        lost.close()
        XCTAssertTrue(try eventually(15) { try storedSessionIDs(caller: caller) == [lostID] },
                      "the lost call was not recorded without a callback: \((try? storedSessionIDs(caller: caller)) ?? []); \(sweeper.logText.suffix(2_000))")
        let recorded = try XCTUnwrap(try interactions(caller).first)
        XCTAssertEqual(recorded["outcome"] as? String, "host_lost", "\(recorded)")
        XCTAssertEqual(recorded["agents"] as? [String], ["Triage Agent", "Refund Agent"], "\(recorded)")
        XCTAssertTrue("\(recorded["transcript"] ?? "")".lowercased().contains("refund"), "\(recorded)")
        XCTAssertTrue(try eventually(5) { try redis.cli("EXISTS", index) == "0" && redis.cli("HEXISTS", "support:call-owners", instance) == "0" },
                      "the dead process is still listed: \((try? redis.cli("SMEMBERS", index)) ?? "")")
        XCTAssertEqual(try metric(sweeper, #"agent_host_lost_calls_recorded_total{tenant="demo"}"#), 1)
        XCTAssertEqual(try redis.cli("HEXISTS", callKey(caller), lostID), "1", "the checkpoint must stay for a callback")

        // The caller calls back after all: continued at the Refund Agent, the call recorded once.
        let (call, session) = try await greetedCall(sweeper, caller: caller)
        XCTAssertEqual(session["continues"] as? String, lostID, "\(session)")
        XCTAssertEqual(session["agent"] as? String, "Refund Agent", "\(session)")
        let newID = try XCTUnwrap(session["session_id"] as? String)
        XCTAssertTrue(try eventually(5) { try redis.cli("HEXISTS", callKey(caller), newID) == "1" })
        let newCheckpoint = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try redis.cli("HGET", callKey(caller), newID).utf8)) as? [String: Any])
        let sweeperIndex = "support:calls-of:" + (try XCTUnwrap((newCheckpoint["owner"] as? [String: Any])?["instance"] as? String))
        XCTAssertEqual(try redis.cli("SCARD", sweeperIndex), "1", "the live call is in its process's index")
        call.socket.send(text: #"{"type":"end"}"#)
        XCTAssertTrue(try eventually(10) { try storedSessionIDs(caller: caller).count == 2 }, "\((try? storedSessionIDs(caller: caller)) ?? [])")
        XCTAssertEqual(try storedSessionIDs(caller: caller).filter { $0 == lostID }.count, 1)
        XCTAssertTrue(try eventually(10) { try redis.cli("EXISTS", callKey(caller)) == "0" }, "\((try? redis.cli("HGETALL", callKey(caller))) ?? "")")
        // The host's own sweep tidies its index: an ended call does not stay listed.
        XCTAssertTrue(try eventually(5) { try redis.cli("SCARD", sweeperIndex) == "0" }, "\((try? redis.cli("SMEMBERS", sweeperIndex)) ?? "")")
        call.close()
    }
}
