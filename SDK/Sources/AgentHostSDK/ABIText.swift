import Glibc
import PluginABI

/// Conversions between Swift strings and the ABI's C strings and error buffers.
public enum ABIText {
    /// Writes `message` into an ah_error_t, truncated on a UTF-8 boundary to fit.
    public static func write(_ message: String, to error: UnsafeMutablePointer<ah_error_t>?) {
        guard let error else { return }
        withUnsafeMutableBytes(of: &error.pointee.message) { buffer in
            var utf8 = Array(message.utf8.prefix(buffer.count - 1))
            while let last = utf8.last, last & 0xC0 == 0x80 { utf8.removeLast() }  // drop a cut sequence's tail
            if let last = utf8.last, last & 0xC0 == 0xC0 { utf8.removeLast() }      // and its lead byte
            buffer.copyBytes(from: utf8)
            buffer[utf8.count] = 0
        }
    }

    /// Reads the message of an ah_error_t, or `fallback` when the callee left it empty.
    public static func message(of error: inout ah_error_t, default fallback: String) -> String {
        let text = withUnsafeBytes(of: &error.message) { buffer -> String in
            let bytes = buffer.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? fallback : text
    }

    /// A (pointer, length) payload as a Swift string; empty for NULL.
    @inline(__always)
    public static func string(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// A NUL-terminated C string as Swift; nil for NULL.
    @inline(__always)
    public static func optional(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    /// A copy that lives forever: for descriptor fields, which must stay valid until shutdown.
    static func permanent(_ string: String) -> UnsafePointer<CChar> {
        UnsafePointer(strdup(string)!)
    }

    /// A NULL-terminated array of permanent C strings, or NULL for an empty list.
    static func permanentList(_ strings: [String]) -> UnsafePointer<UnsafePointer<CChar>?>? {
        guard !strings.isEmpty else { return nil }
        let list = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { list[index] = permanent(string) }
        list[strings.count] = nil
        return UnsafePointer(list)
    }
}
