import Foundation
import Synchronization

/// The host's one logger: every line, host or plugin, goes through here, to stderr by default.
/// Lines are `time level [subsystem] message`, so an operator can grep by plugin or tenant.
public final class Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CustomStringConvertible {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var description: String { ["debug", "info", "warning", "error"][rawValue] }
    }

    public typealias Sink = @Sendable (String) -> Void

    private let state: Mutex<(minimum: Level, sink: Sink)>

    public static let shared = Logger()

    public init(minimum: Level = .info, sink: @escaping Sink = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }) {
        state = Mutex((minimum, sink))
    }

    public func configure(minimum: Level? = nil, sink: Sink? = nil) {
        state.withLock { current in
            if let minimum { current.minimum = minimum }
            if let sink { current.sink = sink }
        }
    }

    public func log(_ level: Level, _ subsystem: String, _ message: @autoclosure () -> String) {
        let (minimum, sink) = state.withLock { ($0.minimum, $0.sink) }
        guard level >= minimum else { return }
        let time = Date().formatted(.iso8601.time(includingFractionalSeconds: true))
        sink("\(time) \(level) [\(subsystem)] \(message())")
    }
}
