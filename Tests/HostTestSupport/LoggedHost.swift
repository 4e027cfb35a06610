import HostNet
import HostPlugins
import HostSupport
import Synchronization

/// A started event loop and the host services on it, whose logger keeps every line: for tests that
/// assert what the host logged (a loop stall named by its plugin, say). `shutdown()` when done.
public final class LoggedHost: Sendable {
    public let loop: EventLoop
    public let services: HostServices
    private let recorded: Recorded

    public init(loopName: String) {
        let recorded = Recorded()
        self.recorded = recorded
        loop = EventLoop(name: loopName)
        loop.start()
        services = HostServices(logger: Logger(minimum: .info, sink: { line in recorded.lines.withLock { $0.append(line) } }), loop: loop)
    }

    /// Every line logged so far, oldest first.
    public var lines: [String] { recorded.lines.withLock { $0 } }

    public func shutdown() {
        services.shutdown()
        loop.stop()
    }

    private final class Recorded: Sendable {
        let lines = Mutex<[String]>([])
    }
}
