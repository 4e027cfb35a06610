import Dispatch
import Foundation
import Glibc
import HostNet
import XCTest

/// The loop-stall watchdog with real stalls: the loop really blocked, in labelled activities,
/// in a route, in unlabelled callbacks, and not at all.
final class LoopWatchdogTests: LoopTestCase {
    private let stalls = Recorder<LoopStall>()
    private var watchdog: LoopWatchdog?

    override func tearDown() {
        watchdog?.stop()
        super.tearDown()
    }

    private func watch(firstOngoingReportMilliseconds: UInt64 = 1_000) {
        let stalls = self.stalls
        let watchdog = LoopWatchdog(loop: loop, thresholdMilliseconds: 50, firstOngoingReportMilliseconds: firstOngoingReportMilliseconds) {
            stalls.append($0)
        }
        XCTAssertTrue(watchdog.start())
        self.watchdog = watchdog
    }

    /// Stalls that ended, once `count` of them are in (or after 5 s).
    private func ended(_ count: Int) -> [LoopStall] {
        let deadline = Date().addingTimeInterval(5)
        while stalls.all.filter({ !$0.ongoing }).count < count, Date() < deadline { usleep(5_000) }
        return stalls.all.filter { !$0.ongoing }
    }

    /// Blocks the loop thread, as a plugin that breaks the no-blocking rule would.
    private static func block(milliseconds: Int) { usleep(useconds_t(milliseconds * 1000)) }

    /// Computes until this thread has used `cpuMilliseconds` of CPU time (however busy the machine).
    private static func spin(cpuMilliseconds: Int) {
        func used() -> Int {
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
        }
        let until = used() + cpuMilliseconds
        while used() < until {}
    }

    func testABlockedLabelledActivityIsReportedOnceWithItsNameAndDuration() {
        watch()
        let loop = self.loop!
        loop.execute {
            loop.during(LoopActivity("com.agenthost.support.triage", "step")) { Self.block(milliseconds: 120) }
        }
        let reported = ended(1)
        XCTAssertEqual(reported.count, 1)
        XCTAssertEqual(reported.first?.activity, LoopActivity("com.agenthost.support.triage", "step"))
        XCTAssertEqual(reported.first?.activity?.description, "com.agenthost.support.triage step")
        XCTAssertGreaterThanOrEqual(reported.first?.seconds ?? 0, 0.12)
        usleep(100_000)
        XCTAssertEqual(stalls.count, 1, "one report per stall: \(stalls.all)")
    }

    func testTheInnermostActivityThatStalledIsNamed() {
        watch()
        let loop = self.loop!
        loop.execute {
            loop.during(LoopActivity("POST", "/v1/chat")) {
                loop.during(LoopActivity("com.example.quick", "invoke")) { Self.block(milliseconds: 2) }
                loop.during(LoopActivity("com.example.slow", "step")) { Self.block(milliseconds: 120) }
            }
        }
        XCTAssertEqual(ended(1).first?.activity, LoopActivity("com.example.slow", "step"))
    }

    func testAStalledRouteIsNamedByItsMethodAndPath() throws {
        watch()
        let server = try serve { request, respond in
            if request.path == "/slow" { Self.block(milliseconds: 120) }
            respond(HTTPResponse(status: 200, text: "done"))
        }
        let socket = try RawSocket(port: server.port)
        socket.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(socket.readResponse()?.status, 200)
        XCTAssertEqual(socket.readResponse()?.status, 200)
        let reported = ended(1)
        XCTAssertEqual(reported.map(\.activity), [LoopActivity("GET", "/slow")])
    }

    /// No label, no mark: a WebSocket frame handler runs in libuv's poll phase. The stall is still
    /// measured (libuv's idle time tells waiting from running) and reported without a name.
    func testAStallInAnUnlabelledSocketCallbackIsStillCounted() throws {
        watch()
        let server = HTTPServer(loop: loop, handler: { _, respond in respond(HTTPResponse(status: 404)) }, upgrade: { _ in
            .accept(WebSocketHandler(onText: { connection, text in
                Self.block(milliseconds: 120)
                connection.send(text: text)
            }))
        })
        try server.start()
        defer { server.stop() }
        let socket = try RawWebSocket(port: server.port)
        XCTAssertEqual(socket.handshake(path: "/ws")?.status, 101)
        socket.sendText("hello")
        XCTAssertEqual(socket.readFrame()?.text, "hello")
        let reported = ended(1)
        XCTAssertEqual(reported.count, 1)
        XCTAssertNil(reported.first?.activity)
        XCTAssertGreaterThanOrEqual(reported.first?.seconds ?? 0, 0.12)
    }

    func testAStallInATimerIsCounted() {
        watch()
        let loop = self.loop!
        loop.execute {
            let timer = LoopTimer(loop: loop)
            timer.start(after: 10) {
                Self.block(milliseconds: 100)
                timer.close()
            }
        }
        let reported = ended(1)
        XCTAssertEqual(reported.count, 1)
        XCTAssertGreaterThanOrEqual(reported.first?.seconds ?? 0, 0.1)
    }

    func testALoopDoingOnlyShortWorkRecordsNoStall() throws {
        watch()
        let loop = self.loop!
        let server = try serve { _, respond in
            loop.during(LoopActivity("com.example.quick", "invoke")) { Self.block(milliseconds: 2) }
            respond(HTTPResponse(status: 200))
        }
        let socket = try RawSocket(port: server.port)
        for _ in 0..<20 {
            loop.execute { loop.during(LoopActivity("com.example.quick", "step")) { Self.block(milliseconds: 3) } }
            socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(socket.readResponse()?.status, 200)
            usleep(5_000)
        }
        // Waiting is not busy: 80 ms with nothing to do, then a timer.
        loop.execute {
            let timer = LoopTimer(loop: loop)
            timer.start(after: 80) { timer.close() }
        }
        usleep(150_000)
        XCTAssertEqual(stalls.all.map(\.seconds), [], "no stall: every batch was a few ms")
    }

    func testAHungLoopIsReportedWhileItStillRuns() {
        watch(firstOngoingReportMilliseconds: 150)
        let loop = self.loop!
        loop.execute { loop.during(LoopActivity("com.example.hung", "step")) { Self.block(milliseconds: 400) } }
        let reported = ended(1)
        let ongoing = stalls.all.filter(\.ongoing)
        XCTAssertFalse(ongoing.isEmpty, "reported while blocked")
        XCTAssertEqual(ongoing.first?.activity, LoopActivity("com.example.hung", "step"))
        XCTAssertGreaterThanOrEqual(ongoing.first?.seconds ?? 0, 0.15)
        XCTAssertEqual(reported.count, 1)
        XCTAssertGreaterThanOrEqual(reported.first?.seconds ?? 0, 0.4)
    }

    func testOneWatchdogPerLoop() {
        watch()
        let second = LoopWatchdog(loop: loop) { _ in }
        XCTAssertFalse(second.start())
    }

    /// A stall in which the loop thread computes is told from one in which it waits (sleeps here;
    /// waiting for a CPU on an overloaded machine looks the same): its CPU time.
    func testAStallReportsHowMuchOfItTheLoopThreadSpentOnACPU() {
        watch()
        let loop = self.loop!
        loop.execute {
            loop.during(LoopActivity("com.example.spinning", "step")) { Self.spin(cpuMilliseconds: 100) }
        }
        let spun = ended(1)
        XCTAssertEqual(spun.count, 1)
        XCTAssertGreaterThan(spun.first?.cpuSeconds ?? 0, 0.09, "the thread computed 100 ms in it")
        loop.execute { loop.during(LoopActivity("com.example.sleeping", "step")) { Self.block(milliseconds: 120) } }
        let slept = ended(2).last
        XCTAssertEqual(slept?.activity, LoopActivity("com.example.sleeping", "step"))
        XCTAssertLessThan(try XCTUnwrap(slept?.cpuSeconds), 0.03, "asleep, not on a CPU")
    }
}
