import CHiredis

/// One Redis reply, copied out of hiredis's `redisReply` (which hiredis frees as soon as the
/// reply callback returns, so nothing may keep pointers into it).
public enum RedisReply: Sendable, Equatable {
    case status(String)
    /// A bulk string. Decoded as UTF-8: everything this host stores is JSON text.
    case string(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    /// An error *reply* (`-ERR ...`): Redis answered, the command failed. Transport failures are
    /// `RedisError`, so a caller can tell "Redis said no" from "Redis did not answer".
    case error(String)

    /// Copies a hiredis reply tree. Loop thread, inside the reply callback.
    init(_ reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        func text() -> String {
            guard let str = r.str else { return "" }
            return str.withMemoryRebound(to: UInt8.self, capacity: r.len) {
                String(decoding: UnsafeBufferPointer(start: $0, count: r.len), as: UTF8.self)
            }
        }
        switch r.type {
        case REDIS_REPLY_STATUS: self = .status(text())
        case REDIS_REPLY_STRING: self = .string(text())
        case REDIS_REPLY_INTEGER: self = .integer(Int64(r.integer))
        case REDIS_REPLY_NIL: self = .null
        case REDIS_REPLY_ERROR: self = .error(text())
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                if let element = r.element?[index] { items.append(RedisReply(element)) } else { items.append(.null) }
            }
            self = .array(items)
        default: self = .error("unknown reply type \(r.type)")
        }
    }

    /// The bulk or status text, if this reply carries one.
    public var text: String? {
        switch self {
        case .string(let s), .status(let s): return s
        default: return nil
        }
    }
}

/// Why a command got no reply. Every command completes exactly once: with a `RedisReply`, or
/// with one of these.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No reply within the command's timeout (the connection is then reset: hiredis cannot drop
    /// one reply, and every later reply on that connection would queue behind the missing one).
    case timeout
    /// Not connected, or the connection went away before the reply arrived. The command may or
    /// may not have run on the server.
    case disconnected(String)
    /// `close()` was called.
    case closed

    public var description: String {
        switch self {
        case .timeout: return "timeout"
        case .disconnected(let reason): return "disconnected: \(reason)"
        case .closed: return "closed"
        }
    }
}
