/// One `name=value` pair of a URL query, percent-decoded (`+` means space, as forms send it).
public struct HTTPQueryItem: Sendable, Equatable {
    public var name: String
    public var value: String?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }

    /// Splits a request target into its decoded path and query items.
    static func split(target: String) -> (path: String, query: [HTTPQueryItem]) {
        let bytes = Array(target.utf8)
        guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return (decode(bytes[...], plusIsSpace: false), []) }
        let path = decode(bytes[..<mark], plusIsSpace: false)
        let items = bytes[(mark + 1)...].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { pair in
            guard let eq = pair.firstIndex(of: UInt8(ascii: "=")) else {
                return HTTPQueryItem(name: decode(pair, plusIsSpace: true), value: nil)
            }
            return HTTPQueryItem(name: decode(pair[..<eq], plusIsSpace: true),
                                 value: decode(pair[(eq + 1)...], plusIsSpace: true))
        }
        return (path, items)
    }

    /// Percent-decoding; malformed escapes are kept literally rather than rejected.
    static func decode(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
               let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 3
                continue
            }
            out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
