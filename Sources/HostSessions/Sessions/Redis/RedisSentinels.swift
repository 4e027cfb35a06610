import CHiredis
import Dispatch
import Foundation
import Synchronization

/// Finds the current Redis master through Redis Sentinel (`redis: {sentinels: […], master_name: …}`,
/// docs/operations.md), the way the Sentinel client guidelines describe: ask each sentinel in turn
/// `SENTINEL get-master-addr-by-name NAME`, take the first answer, and try the sentinel that
/// answered first next time. `RedisConnection` calls `locate` before every connection attempt, so a
/// failover is followed by the ordinary reconnect path; after connecting it checks `ROLE` (a
/// sentinel's answer can be stale) and it drops a connection that answers `READONLY`.
///
/// Why blocking hiredis calls on a global queue: a sentinel answers one short command; a second
/// async connection per sentinel on the loop would buy nothing but code. The queries never run on
/// the loop thread, and every connect and read is bounded by `timeoutMilliseconds`.
public final class RedisSentinels: Sendable {
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// `host:port` or `[v6]:port`; nil when it is not one.
        public init?(parsing text: String) {
            var host: Substring
            var port: Substring
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                host = text[text.index(after: text.startIndex)..<close]
                let rest = text[text.index(after: close)...]
                guard rest.hasPrefix(":") else { return nil }
                port = rest.dropFirst()
            } else {
                guard let colon = text.lastIndex(of: ":") else { return nil }
                host = text[..<colon]
                port = text[text.index(after: colon)...]
                if host.contains(":") { return nil }
            }
            guard !host.isEmpty, let number = Int(port), (1...65535).contains(number) else { return nil }
            self.init(host: String(host), port: number)
        }
    }

    public let masterName: String
    public let timeoutMilliseconds: Int
    /// The sentinels, the one that answered last first.
    private let order: Mutex<[Address]>

    public init(_ sentinels: [Address], masterName: String, timeoutMilliseconds: Int = 500) {
        precondition(!sentinels.isEmpty, "at least one sentinel")
        self.masterName = masterName
        self.timeoutMilliseconds = timeoutMilliseconds
        order = Mutex(sentinels)
    }

    public var sentinels: [Address] { order.withLock { $0 } }

    public enum LocateError: Error, Sendable, CustomStringConvertible {
        /// No sentinel answered with an address; one line per sentinel says why.
        case noMaster(name: String, reasons: [String])
        public var description: String {
            switch self {
            case .noMaster(let name, let reasons):
                return "no sentinel named a master for \"\(name)\" (\(reasons.joined(separator: "; ")))"
            }
        }
    }

    /// [thread-safe] Asks the sentinels for the master, off the calling thread; `completion` runs
    /// on a global queue with the master's address as the sentinel gave it (a host name is resolved by
    /// the connection with HostNet's Resolver).
    public func locate(completion: @escaping @Sendable (Result<Address, LocateError>) -> Void) {
        DispatchQueue.global().async { [self] in completion(locateBlocking()) }
    }

    /// Blocking: never on a loop thread.
    func locateBlocking() -> Result<Address, LocateError> {
        var reasons: [String] = []
        for sentinel in sentinels {
            switch ask(sentinel) {
            case .success(let master):
                // A host name in the answer is resolved by the connection, on its loop's one resolver.
                order.withLock { list in
                    if let index = list.firstIndex(of: sentinel), index != 0 { list.insert(list.remove(at: index), at: 0) }
                }
                return .success(master)
            case .failure(let reason):
                reasons.append("\(sentinel): \(reason)")
            }
        }
        return .failure(.noMaster(name: masterName, reasons: reasons))
    }

    private struct Refusal: Error, CustomStringConvertible { let description: String }

    /// One sentinel, one command, bounded by the timeout (hiredis's synchronous API:
    /// `redisCommandArgv` because the variadic `redisCommand` cannot be called from Swift).
    private func ask(_ sentinel: Address) -> Result<Address, Refusal> {
        let timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        guard let context = redisConnectWithTimeout(sentinel.host, Int32(sentinel.port), timeout) else {
            return .failure(Refusal(description: "out of memory"))
        }
        defer { redisFree(context) }
        if context.pointee.err != 0 { return .failure(Refusal(description: Self.errorText(context))) }
        _ = redisSetTimeout(context, timeout)
        let args = ["SENTINEL", "get-master-addr-by-name", masterName].map { Array($0.utf8CString) }
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        let raw: UnsafeMutableRawPointer? = args.withUnsafeBufferPointers { buffers in
            pointers = buffers.map { UnsafePointer($0.baseAddress) }
            lengths = buffers.map { $0.count - 1 }
            return redisCommandArgv(context, Int32(args.count), &pointers, &lengths)
        }
        guard let raw else { return .failure(Refusal(description: Self.errorText(context))) }
        let reply = RedisReply(raw.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(raw)
        switch reply {
        case .array(let items) where items.count == 2:
            guard case .string(let host) = items[0], case .string(let portText) = items[1], let port = Int(portText) else {
                return .failure(Refusal(description: "unexpected answer \(reply)"))
            }
            return .success(Address(host: host, port: port))
        case .null, .array:
            return .failure(Refusal(description: "does not monitor a master named \"\(masterName)\""))
        case .error(let message):
            return .failure(Refusal(description: message))
        default:
            return .failure(Refusal(description: "unexpected answer \(reply)"))
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        var errstr = context.pointee.errstr
        let text = withUnsafeBytes(of: &errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return text.isEmpty ? "connection error \(context.pointee.err)" : text
    }
}

private extension Array where Element == [CChar] {
    /// Calls `body` with a stable buffer for every element (nested `withUnsafeBufferPointer`).
    func withUnsafeBufferPointers<R>(_ body: ([UnsafeBufferPointer<CChar>]) -> R) -> R {
        func nest(_ index: Int, _ collected: [UnsafeBufferPointer<CChar>]) -> R {
            guard index < count else { return body(collected) }
            return self[index].withUnsafeBufferPointer { nest(index + 1, collected + [$0]) }
        }
        return nest(0, [])
    }
}
