import Foundation
import TestSupport
import XCTest

/// `openssl s_server` with a throwaway self-signed certificate, to prove the client verifies peers.
final class SelfSignedTLSServer {
    let port: Int
    private let process = Process()
    private let directory: URL

    init() throws {
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("openssl is not installed")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("key.pem").path
        let cert = directory.appendingPathComponent("cert.pem").path
        let generate = try Process.run(URL(fileURLWithPath: openssl), arguments: [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=127.0.0.1", "-days", "1", "-keyout", key, "-out", cert,
        ])
        generate.standardError = FileHandle.nullDevice
        generate.waitForExit()
        guard generate.terminationStatus == 0 else { throw XCTSkip("openssl could not make a certificate") }

        port = unusedPort()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = ["s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key, "-www"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready once it accepts connections.
        let deadline = Date().addingTimeInterval(5)
        while (try? RawSocket(port: port)) == nil {
            guard Date() < deadline else { stop(); throw SocketError(code: ETIMEDOUT) }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitForExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
