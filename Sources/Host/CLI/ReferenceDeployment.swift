import Foundation

/// The embedded defaults: the reference plugins enabled for a demo tenant, pointed at a backend.
public enum ReferenceDeployment {
    public static let tenantID = "demo"
    public static let triageID = "com.agenthost.support.triage"
    /// Component id prefixes of the reference departments and the commerce tools.
    static let departmentPrefix = "com.agenthost.support."
    static let commercePrefix = "com.agenthost.commerce."

    /// Every reference department and commerce tool the catalog loaded, plus the store-hours tool.
    public static func tenant(catalog: PluginCatalog, backendURL: String, apiKey: String, id: String = tenantID) -> TenantConfiguration {
        let ids = catalog.components.map(\.id).filter {
            $0.hasPrefix(departmentPrefix) || $0.hasPrefix(commercePrefix) || $0 == "com.agenthost.examples.store-hours"
        }
        let settings = #"{"backend_url":"\#(backendURL)","api_key":"\#(apiKey)","timeout_ms":3000}"#
        var perComponent: [String: String] = [:]
        for id in ids where id.hasPrefix(commercePrefix) { perComponent[id] = settings }
        return TenantConfiguration(id: id, plugins: ids, entryAgent: triageID, settings: perComponent)
    }
}

/// A `support-backend` child process on a free loopback port with a throwaway data directory,
/// for commands that run with nothing configured. Stopped (SIGTERM) by `stop()`.
public final class ReferenceBackendProcess: @unchecked Sendable {
    // @unchecked: immutable after start.
    public let url: String
    public let apiKey: String
    private let process: Process
    private let dataDirectory: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `support-backend` from next to the running executable and waits for its ready line.
    public init(apiKey: String = "demo-key", timeout: TimeInterval = 15) throws {
        let executable = (PluginLoader.defaultDirectories(environment: [:]).first ?? ".") + "/support-backend"
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "support-backend not found at \(executable): build it with `swift build`")
        }
        var template = Array("/tmp/support-backend.XXXXXX".utf8CString)
        dataDirectory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        self.apiKey = apiKey
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--host", "127.0.0.1", "--port", "0", "--api-key", apiKey, "--data", dataDirectory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        // Read the ready line ("support-backend listening on http://127.0.0.1:PORT").
        let reader = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = Data()
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: "listening on ") {
                let rest = text[range.upperBound...]
                if let end = rest.firstIndex(of: "\n") { found = String(rest[..<end]).trimmingCharacters(in: .whitespaces) }
            }
        }
        guard let found else {
            process.terminate()
            throw Failure(description: "support-backend did not report ready within \(Int(timeout)) s")
        }
        url = found
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    deinit { stop() }
}
