import Foundation
import Glibc
import ReferenceBackend
import Synchronization
import TestSupport

/// A real reference backend for one test: the `support-backend` executable on an ephemeral
/// loopback port with its own data directory (or, if that product was not built, the
/// `ReferenceBackend` library in-process). `stop()` is idempotent.
final class RunningBackend: @unchecked Sendable {
    // @unchecked: `process`/`library` are set once in init and only stopped afterwards.
    let url: String
    let apiKey: String
    private let data: TemporaryDirectory
    private let process: Process?
    private let library: ReferenceBackend?

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    init(apiKey: String = "test-key") throws {
        self.apiKey = apiKey
        data = TemporaryDirectory(prefix: "commerce-tools-backend")
        let executable = BuildProducts.path("support-backend")
        if FileManager.default.isExecutableFile(atPath: executable) {
            let (process, url) = try Self.launch(executable, arguments: ["--port", "0", "--api-key", apiKey, "--data", data.path])
            self.process = process
            self.library = nil
            self.url = url
        } else {
            let backend = ReferenceBackend(configuration: .init(host: "127.0.0.1", port: 0, apiKey: apiKey, dataDirectory: data.path))
            let port = try backend.start()
            self.process = nil
            self.library = backend
            self.url = "http://127.0.0.1:\(port)"
        }
    }

    deinit { stop() }

    /// Stops serving; later requests are refused at connect.
    func stop() {
        library?.stop()
        if let process, process.isRunning {
            process.terminate()
            process.waitForExit()
        }
    }

    /// Starts the executable and waits (up to 10 s) for "support-backend listening on URL".
    private static func launch(_ executable: String, arguments: [String]) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let seen = Mutex<(text: String, url: String?)>(("", nil))
        let ready = DispatchSemaphore(value: 0)
        output.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            let found: Bool = seen.withLock { seen in
                guard seen.url == nil else { return false }
                seen.text += String(decoding: chunk, as: UTF8.self)
                guard let range = seen.text.range(of: "support-backend listening on ") else {
                    return chunk.isEmpty   // EOF: the process died before saying it was ready
                }
                let rest = seen.text[range.upperBound...]
                guard let end = rest.firstIndex(of: "\n") else { return false }
                seen.url = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
                return true
            }
            if found || chunk.isEmpty {
                handle.readabilityHandler = nil
                ready.signal()
            }
        }
        try process.run()
        guard ready.wait(timeout: .now() + 10) == .success, let url = seen.withLock({ $0.url }) else {
            process.terminate()
            throw StartFailure(description: "support-backend did not report it was listening; output: \(seen.withLock { $0.text })")
        }
        return (process, url)
    }
}

/// A loopback TCP server that accepts connections and never answers: a backend that hangs.
final class SilentServer: @unchecked Sendable {
    // @unchecked: `connections` is touched only by the accept thread until `done` is signalled.
    let port: Int
    private let listener: Int32
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private var connections: [Int32] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(fd)
            throw RunningBackend.StartFailure(description: "cannot listen on 127.0.0.1: errno \(errno)")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            while !stopping.load(ordering: .acquiring) {
                var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, 20) > 0 {
                    let connection = accept(listener, nil, nil)
                    if connection >= 0 { connections.append(connection) }
                }
            }
            done.signal()
        }
        thread.start()
    }

    deinit { stop() }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        done.wait()
        connections.forEach { Glibc.close($0) }
        Glibc.close(listener)
    }
}

/// A loopback port nothing listens on (bound, then released).
func unusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { Glibc.close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
