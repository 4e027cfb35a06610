import Foundation
import Host
import TestSupport
import XCTest

/// `agent-host demo` starts a redis-server and the reference backend; however it is stopped with
/// Ctrl-C, it stops them too (a newcomer's machine must not keep orphans on ports after the demo).
final class DemoShutdownTests: XCTestCase {
    /// A demo serving one open chat session (it keeps the drain waiting for its deadline, 5 s in
    /// the demo), and the demo's children.
    private func demoWithAnOpenChat() throws -> (RunningDemo, children: [pid_t]) {
        let demo = try RunningDemo()
        do { try demo.openChatSession() } catch {
            demo.kill()
            throw error
        }
        let children = demo.children()
        XCTAssertEqual(children.count, 2, "redis-server and support-backend: \(children)")
        return (demo, children)
    }

    func testOneCtrlCDrainsAndStopsWhatTheDemoStarted() throws {
        let (demo, children) = try demoWithAnOpenChat()
        defer { demo.kill() }

        demo.interrupt()
        XCTAssertTrue(demo.process.waitForExit(seconds: 30), demo.log())
        XCTAssertEqual(demo.process.terminationStatus, 0, demo.log())
        XCTAssertEqual(children.filter(isAlive), [], "children left running: \(demo.log())")
        XCTAssertTrue(demo.log().contains("stopped: every session record is in Redis"), demo.log())
    }

    func testASecondCtrlCDuringTheDrainStopsAtOnceAndStillStopsWhatTheDemoStarted() throws {
        let (demo, children) = try demoWithAnOpenChat()
        defer { demo.kill() }

        demo.interrupt()
        try demo.waitForLog("signal \(SIGINT): draining")
        // A repeat within a second is the same Ctrl-C (delivered to the process group and forwarded).
        demo.interrupt()
        usleep(1_200_000)
        XCTAssertTrue(demo.process.isRunning, "a repeat within a second skipped the drain: \(demo.log())")
        let second = Date()
        demo.interrupt()
        XCTAssertTrue(demo.process.waitForExit(seconds: 30), demo.log())
        XCTAssertEqual(demo.process.terminationStatus, 128 + SIGINT, demo.log())
        XCTAssertLessThan(Date().timeIntervalSince(second), 3.0, "at once, not at the 5 s drain deadline: \(demo.log())")
        XCTAssertEqual(children.filter(isAlive), [], "children left running: \(demo.log())")
        XCTAssertTrue(demo.log().contains("again: stopping at once"), demo.log())
        XCTAssertTrue(demo.log().contains("stopped at once"), demo.log())
    }

    /// Running, not a zombie waiting for a parent that is gone.
    private func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z"
    }
}

/// `agent-host demo --port P` with its output in a file, ready once it printed its banner.
private final class RunningDemo {
    let process = Process()
    let url: String
    private let directory = TemporaryDirectory(prefix: "demo-shutdown")
    private let logPath: String

    init() throws {
        let port = try LoopbackPort.free()
        url = "http://127.0.0.1:\(port)"
        logPath = directory.file("demo.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: BuildProducts.path("agent-host"))
        process.arguments = ["demo", "--port", String(port)]
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "REDIS_URL" }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try waitForLog("Ctrl-C drains and stops everything it started.")
        started = children()
    }

    /// The children once the demo was ready: stopped by `kill()` too when a test failed halfway.
    private var started: [pid_t] = []

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func waitForLog(_ text: String, seconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !log().contains(text), process.isRunning, Date() < deadline { usleep(50_000) }
        guard log().contains(text) else { throw Waited(description: "no \"\(text)\" in the demo's output: \(log())") }
    }

    func openChatSession() throws {
        let reply = try ProcessRunner.run("curl", ["-s", "-w", "\n%{http_code}", url + "/v1/chat",
                                                   "-d", #"{"caller":"+15550001111","text":"hello"}"#])
        guard reply.stdout.hasSuffix("200") else { throw Waited(description: "chat: \(reply.stdout) \(log())") }
    }

    /// The demo's child processes, from every thread's children list (a child belongs to the thread that forked it).
    func children() -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task")) ?? []
        return tasks.flatMap { task -> [pid_t] in
            let text = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// Ctrl-C.
    func interrupt() { Foundation.kill(process.processIdentifier, SIGINT) }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        _ = process.waitForExit(seconds: 10)
        for child in started { Foundation.kill(child, SIGKILL) }
    }

    struct Waited: Error, CustomStringConvertible { let description: String }
}
