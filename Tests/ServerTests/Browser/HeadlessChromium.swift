import Foundation
import HostNet
import Host
import HostTestSupport
import TestSupport
import XCTest

/// Debian's `chromium`, headless, driven over the Chrome DevTools Protocol (its WebSocket, with
/// HostNet's client): a real browser with a fake microphone that plays a WAV file. Tests only.
final class HeadlessChromium {
    /// One page (tab): commands and their replies; events are skipped.
    final class Page {
        private let socket: BlockingWebSocket
        private var nextID = 0

        init(webSocketURL: String) throws {
            var configuration = WebSocketConfiguration()
            configuration.maxMessageBytes = 64 << 20   // screenshots come back as base64 PNG
            socket = try BlockingWebSocket(url: webSocketURL, configuration: configuration)
        }

        /// Sends `method` and waits for its reply's `result`; throws on an error reply or timeout.
        @discardableResult
        func call(_ method: String, _ params: [String: Any] = [:], timeout: Double = 20) throws -> [String: Any] {
            nextID += 1
            let id = nextID
            let data = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
            socket.send(text: String(decoding: data, as: UTF8.self))
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                guard case .text(let text)? = socket.receive(timeoutSeconds: max(0.1, deadline.timeIntervalSinceNow)),
                      let message = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      message["id"] as? Int == id else { continue }
                if let error = message["error"] { throw Failure(description: "\(method) failed: \(error)") }
                return message["result"] as? [String: Any] ?? [:]
            }
            throw Failure(description: "\(method): no reply in \(timeout) s")
        }

        /// Evaluates `expression` in the page (promises awaited) and returns its JSON value.
        func evaluate(_ expression: String) throws -> Any? {
            let result = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
            if let exception = result["exceptionDetails"] { throw Failure(description: "page threw: \(exception)") }
            return (result["result"] as? [String: Any])?["value"]
        }

        /// `expression`'s value as text, for failure messages ("" when it fails).
        func text(_ expression: String) -> String {
            guard let value = try? evaluate(expression) else { return "" }
            return "\(value)"
        }

        func navigate(_ url: String) throws {
            try call("Page.enable")
            try call("Page.navigate", ["url": url])
            for _ in 0..<200 where (try? evaluate("document.readyState")) as? String != "complete" { usleep(50_000) }
        }

        /// Waits until `expression` is true in the page.
        func waitFor(_ expression: String, timeout: Double = 30) throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            repeat {
                if try evaluate("Boolean(\(expression))") as? Bool == true { return true }
                usleep(200_000)
            } while Date() < deadline
            return false
        }

        func screenshot(to path: String) throws {
            let result = try call("Page.captureScreenshot", ["format": "png"])
            guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
                throw Failure(description: "no screenshot data")
            }
            try png.write(to: URL(fileURLWithPath: path))
        }

        func close() { socket.close(timeoutSeconds: 2) }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let process: Process
    let port: Int
    private let profile: TemporaryDirectory
    /// Chromium's own output, quoted when it does not start.
    let log: String
    var logTail: String { String(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(2000)) }

    /// The browser's path, or nil when it is not installed.
    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts chromium with a fake microphone playing `microphoneWAV` once.
    init(executable: String, microphoneWAV: String) throws {
        port = try LoopbackPort.free()
        profile = TemporaryDirectory(prefix: "chromium-profile")
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // --disable-dev-shm-usage: containers often have a 64 MB /dev/shm, too small for Chromium.
        var arguments = ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=\(port)", "--user-data-dir=\(profile.path)",
                         "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                         "--use-file-for-fake-audio-capture=\(microphoneWAV)%noloop", "--autoplay-policy=no-user-gesture-required",
                         "--window-size=1280,860", "about:blank"]
        // As root (CI containers) Chromium refuses to start with its sandbox.
        if getuid() == 0 { arguments.insert("--no-sandbox", at: 0) }
        process.arguments = arguments
        log = profile.file("chromium.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        // SIGTERM lets the browser take its renderer and GPU processes down with it.
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitForExit()
    }

    /// A page target's DevTools WebSocket, once the browser listens: the first tab, or a new one at `url`.
    func page(opening url: String? = nil) throws -> Page {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let url {
                let created = try? ProcessRunner.run("curl", ["-s", "--max-time", "5", "-X", "PUT", "http://127.0.0.1:\(port)/json/new?\(url)"])
                if let data = created?.stdout.data(using: .utf8), let target = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                   let socket = target["webSocketDebuggerUrl"] as? String {
                    return try Page(webSocketURL: socket)
                }
            } else {
                let listed = try? ProcessRunner.run("curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/json/list"])
                if let data = listed?.stdout.data(using: .utf8), let targets = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
                   let socket = targets.first(where: { $0["type"] as? String == "page" })?["webSocketDebuggerUrl"] as? String {
                    return try Page(webSocketURL: socket)
                }
            }
            guard process.isRunning else { throw Failure(description: "chromium exited (status \(process.terminationStatus)):\n\(logTail)") }
            usleep(100_000)
        }
        throw Failure(description: "chromium's DevTools did not answer on port \(port):\n\(logTail)")
    }
}
