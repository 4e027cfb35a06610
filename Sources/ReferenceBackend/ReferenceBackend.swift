import Dispatch
import Foundation
import HostNet
import Synchronization

/// The stand-in for the company systems support tools call (orders, billing, refunds, payment
/// plans, FAQ search, escalation), as JSON over `HTTPServer`. Runs in-process for tests, or as
/// the `support-backend` executable.
///
/// Requests are parsed on the event loop and handled on one serial queue that owns the SQLite
/// connection, so a slow disk never stalls the loop.
public final class ReferenceBackend: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks an ephemeral port.
        public var port: Int
        public var apiKey: String
        /// Where refunds, payment plans and escalations persist (created if missing).
        public var dataDirectory: String

        public init(host: String = "127.0.0.1", port: Int = 8090, apiKey: String = "demo-key",
                    dataDirectory: String = "./.support-backend-data") {
            self.host = host
            self.port = port
            self.apiKey = apiKey
            self.dataDirectory = dataDirectory
        }
    }

    public let configuration: Configuration
    private let running = Mutex<Running?>(nil)

    private struct Running {
        let loop: EventLoop
        let server: HTTPServer
        let queue: DispatchQueue
    }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The loop serving HTTP while running (e.g. to watch signals on it); nil when stopped.
    public var eventLoop: EventLoop? { running.withLock { $0?.loop } }

    /// The bound port while running, else 0.
    public var port: Int { running.withLock { $0?.server.port ?? 0 } }

    /// Seeds the data (idempotent), opens storage and starts serving; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        try running.withLock { running in
            if let running { return running.server.port }
            let catalog = try Catalog()
            let store = try BackendStore(directory: configuration.dataDirectory, catalog: catalog)
            let api = SupportAPI(catalog: catalog, store: store, apiKey: configuration.apiKey, clock: { Date() })
            let queue = DispatchQueue(label: "support-backend.work")
            let loop = EventLoop(name: "support-backend")
            loop.start()
            let server = HTTPServer(loop: loop, configuration: .init(host: configuration.host, port: configuration.port)) { request, respond in
                queue.async { respond(api.handle(request)) }
            }
            do {
                try server.start()
            } catch {
                loop.stop()
                throw error
            }
            running = Running(loop: loop, server: server, queue: queue)
            return server.port
        }
    }

    /// Stops accepting, lets requests already on the work queue finish, and closes storage.
    public func stop() {
        guard let stopped = running.withLock({ running in defer { running = nil }; return running }) else { return }
        stopped.server.stop()
        stopped.queue.sync {}      // drain: the last handler releases the API and its database
        stopped.loop.stop()
    }
}
