import Foundation
import Host
import TestSupport
import XCTest

/// `agent-host demo` prints the playground's URL and a console key for the run, and both work:
/// what a new user opens first (docs/console.md).
final class DemoConsoleTests: XCTestCase {
    func testDemoPrintsThePlaygroundURLAndAConsoleKeyThatSignsIn() throws {
        let port = try LoopbackPort.free()
        let directory = TemporaryDirectory(prefix: "demo-console")
        let log = directory.file("demo.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: BuildProducts.path("agent-host"))
        demo.arguments = ["demo", "--port", String(port)]
        demo.standardOutput = output
        demo.standardError = output
        try demo.run()
        defer {
            // SIGINT drains and stops the redis-server and backend the demo started.
            if demo.isRunning { kill(demo.processIdentifier, SIGINT) }
            demo.waitForExit(seconds: 20)
        }
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("console key:"), demo.isRunning, Date() < deadline {
            usleep(100_000)
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        let url = "http://127.0.0.1:\(port)"
        XCTAssertTrue(text.contains("\(url)/console/playground"), text)
        let key = text.split(separator: "\n").first { $0.contains("console key:") }?
            .split(separator: " ").dropFirst(2).first.map(String.init) ?? ""
        XCTAssertEqual(key.count, 32, "a 128-bit key in hex: \(text)")

        let page = try ProcessRunner.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/console/playground"])
        XCTAssertEqual(page.stdout, "200")
        let signedIn = try ProcessRunner.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(key)", url + "/console/v1/sessions"])
        XCTAssertEqual(signedIn.stdout, "200", "the printed key signs in to the console")
        let wrong = try ProcessRunner.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer wrong", url + "/console/v1/sessions"])
        XCTAssertEqual(wrong.stdout, "401")
    }
}
