import CLibUV

/// A libuv failure: the (negative) code libuv returned, kept so callers can tell failures apart
/// (`code == UV_ECONNREFUSED`) instead of matching message text. Its description is libuv's
/// message, e.g. "connection refused", so `"\(UVError(status))"` reads as before.
public struct UVError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int32

    public init(_ code: Int32) { self.code = code }

    /// libuv's name for the code, e.g. "ECONNREFUSED".
    public var name: String { String(cString: uv_err_name(code)) }
    public var description: String { String(cString: uv_strerror(code)) }
}
