@testable import HostNet
import XCTest

/// The close handshake as a value: every transition, without a socket, timer or loop.
/// (WebSocketServerTests drive the same machine over real sockets.)
final class WebSocketCloseStateMachineTests: XCTestCase {
    typealias Machine = WebSocketCloseStateMachine

    func testWeCloseFirstThenThePeerAnswers() {
        var machine = Machine(role: .server)
        XCTAssertEqual(machine.closeRequested(code: 4000, reason: "bye"),
                       [.stopPinging, .sendClose(code: 4000, reason: "bye"), .startDeadline])
        XCTAssertEqual(machine.state, .closeSent)
        XCTAssertFalse(machine.isOpen, "no data goes out once our close frame is out")
        XCTAssertTrue(machine.isReading, "the peer's close frame must still be read")
        XCTAssertEqual(machine.closeRequested(code: 1000, reason: "again"), [], "a second close is ignored")
        // The peer's answer: no echo (ours is out); a server closes TCP once flushed.
        XCTAssertEqual(machine.closeFrameReceived(code: 4000, reason: ""),
                       [.stopPinging, .shutdownWriteSide(closeWhenFlushed: true)])
        XCTAssertEqual(machine.state, .draining)
        XCTAssertEqual(machine.socketEnded(), [.closeSocket, .report(code: 4000, reason: "bye")])
        XCTAssertEqual(machine.state, .closed)
        XCTAssertEqual(machine.socketEnded(), [], "the socket ends once")
    }

    func testACodeNotAllowedOnTheWireIsSentAsNormal() {
        var machine = Machine(role: .client)
        XCTAssertEqual(machine.closeRequested(code: WebSocketCloseCode.abnormal, reason: "x"),
                       [.stopPinging, .sendClose(code: WebSocketCloseCode.normal, reason: "x"), .startDeadline])
        XCTAssertEqual(machine.code, WebSocketCloseCode.normal)
    }

    func testThePeerClosesFirstAndWeEchoItsCode() {
        var server = Machine(role: .server)
        XCTAssertEqual(server.closeFrameReceived(code: 4001, reason: "done"),
                       [.sendClose(code: 4001, reason: ""), .stopPinging, .shutdownWriteSide(closeWhenFlushed: true)])
        XCTAssertFalse(server.isReading, "input after the handshake is discarded")
        XCTAssertEqual(server.closeFrameReceived(code: 1000, reason: ""), [])
        XCTAssertEqual(server.socketEnded(), [.closeSocket, .report(code: 4001, reason: "done")])

        // A client waits for the server to close TCP.
        var client = Machine(role: .client)
        XCTAssertEqual(client.closeFrameReceived(code: 1000, reason: ""),
                       [.sendClose(code: 1000, reason: ""), .stopPinging, .shutdownWriteSide(closeWhenFlushed: false)])
    }

    func testAPeerCloseWithoutStatusIsEchoedWithoutPayloadAndReportedAs1005() {
        var machine = Machine(role: .server)
        XCTAssertEqual(machine.closeFrameReceived(code: WebSocketCloseCode.noStatus, reason: "").first,
                       .sendClose(code: nil, reason: ""))
        XCTAssertEqual(machine.socketEnded().last, .report(code: WebSocketCloseCode.noStatus, reason: ""))
    }

    func testAFailureSendsItsCodeAndDrainsWithoutWaitingForThePeer() {
        var machine = Machine(role: .server)
        XCTAssertEqual(machine.failed(code: WebSocketCloseCode.protocolError, reason: "bad frame"),
                       [.sendClose(code: 1002, reason: "bad frame"), .stopPinging, .shutdownWriteSide(closeWhenFlushed: false)])
        XCTAssertEqual(machine.failed(code: 1008, reason: "later"), [], "only the first failure counts")
        XCTAssertEqual(machine.socketEnded(), [.closeSocket, .report(code: 1002, reason: "bad frame")])
    }

    func testAFailureAfterOurCloseReplacesTheReportButSendsNothing() {
        var machine = Machine(role: .client)
        _ = machine.closeRequested(code: 1000, reason: "bye")
        XCTAssertEqual(machine.failed(code: 1009, reason: "too big"),
                       [.stopPinging, .shutdownWriteSide(closeWhenFlushed: false)])
        XCTAssertEqual(machine.socketEnded().last, .report(code: 1009, reason: "too big"))
    }

    func testTheSocketEndingWhileOpenIsConnectionLost() {
        var machine = Machine(role: .client)
        XCTAssertEqual(machine.socketEnded(),
                       [.closeSocket, .report(code: WebSocketCloseCode.abnormal, reason: "connection lost")])
        XCTAssertEqual(machine.closeRequested(code: 1000, reason: ""), [])
        XCTAssertEqual(machine.closeFrameReceived(code: 1000, reason: ""), [])
        XCTAssertEqual(machine.failed(code: 1002, reason: ""), [])
    }

    func testTheDeadlineAfterOurCloseReportsOurCode() {
        var machine = Machine(role: .server)
        _ = machine.closeRequested(code: 1001, reason: "idle timeout")
        // The peer never answered: the deadline ends the socket.
        XCTAssertEqual(machine.socketEnded(), [.closeSocket, .report(code: 1001, reason: "idle timeout")])
    }

    func testAFailedWriteStopsOutputAndEndsTheSocketLater() {
        var machine = Machine(role: .server)
        XCTAssertEqual(machine.writeFailed(), [.closeSocketLater])
        XCTAssertEqual(machine.state, .draining)
        XCTAssertFalse(machine.isReading)
        XCTAssertEqual(machine.closeRequested(code: 1000, reason: ""), [], "nothing more goes out")
        XCTAssertEqual(machine.socketEnded().last, .report(code: WebSocketCloseCode.abnormal, reason: "connection lost"))
    }

    func testAbortSendsABestEffortCloseOnlyWhileOpen() {
        var open = Machine(role: .server)
        XCTAssertEqual(open.aborted(code: 1001, reason: "server stopping"),
                       [.sendCloseBestEffort(code: 1001, reason: "server stopping"), .closeSocket,
                        .report(code: WebSocketCloseCode.abnormal, reason: "connection lost")])

        var closing = Machine(role: .server)
        _ = closing.closeRequested(code: 4000, reason: "bye")
        XCTAssertEqual(closing.aborted(code: 1001, reason: "server stopping"),
                       [.closeSocket, .report(code: 4000, reason: "bye")])
        XCTAssertEqual(closing.aborted(code: 1001, reason: "again"), [])
    }
}
