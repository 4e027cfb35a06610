import Foundation
import HostNet
import XCTest

/// Frames a connection is asked to send during one loop iteration leave in one write (one
/// syscall, one loopback delivery) once the iteration's callbacks are done, in order, and before
/// a close frame sent after them.
final class WebSocketBatchingTests: WebSocketTestCase {
    func testFramesSentInOneCallbackLeaveInOneWriteInOrder() throws {
        let server = try serveWebSocket { _ in
            .accept(WebSocketHandler(onText: { connection, text in
                guard text == "burst" else { return }
                for index in 0..<20 { connection.send(text: "frame \(index)") }
            }))
        }
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendText("warm up")   // the connection's first write paths are taken before counting
        let writesBefore = try XCTUnwrap(Self.writeSyscalls(thread: loop.threadID))
        socket.sendText("burst")
        for index in 0..<20 { XCTAssertEqual(socket.readFrame()?.text, "frame \(index)") }
        let writes = try XCTUnwrap(Self.writeSyscalls(thread: loop.threadID)) - writesBefore
        // One per frame (20) before batching.
        XCTAssertEqual(writes, 1, "the loop thread's write syscalls for 20 frames sent in one callback")
    }

    func testFramesSentBeforeACloseArriveBeforeIt() throws {
        let server = try serveWebSocket { _ in
            .accept(WebSocketHandler(onText: { connection, _ in
                connection.send(text: "one")
                connection.send(binary: [2])
                connection.close(code: 4000, reason: "after two")
            }))
        }
        let socket = try RawWebSocket(port: server.port)
        socket.open()
        socket.sendText("go")
        XCTAssertEqual(socket.readFrame()?.text, "one")
        XCTAssertEqual(socket.readFrame(), RawWebSocket.Frame(fin: true, opcode: 0x2, payload: [2]))
        XCTAssertEqual(socket.readClose()?.code, 4000)
    }

    /// `syscw` of /proc/self/task/TID/io: write-family syscalls that thread made.
    static func writeSyscalls(thread: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/task/\(thread)/io", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("syscw:") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
    }
}
