import Foundation
import HostNet

/// Writes JSON text directly. Foundation's JSONSerialization costs ~0.6 ms for a 13 KB step
/// context on Linux (measured), which is most of a turn; the hot paths (step contexts, events)
/// append pre-rendered fragments and escaped strings instead.
public enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    public static func quote(_ value: String) -> String { JSONString.quote(value) }

    /// An object from already-rendered member values, keys in the given order.
    public static func object(_ members: [(String, String)]) -> String {
        var out = "{"
        // One allocation instead of a regrowth every few members (every event of every turn comes here).
        out.reserveCapacity(members.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { out += "," }
            out += quote(key)
            out += ":"
            out += value
        }
        return out + "}"
    }

    /// Renders a Foundation JSON value once (for fragments computed at start-up, not per turn:
    /// JSONSerialization stays here because the tenant's catalog is built once per reload).
    public static func render(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// True when `text` parses as JSON (any value); `object` requires an object. Runs for every
    /// state and tool call an agent sends: the shared parser, not JSONSerialization.
    public static func isValid(_ text: String, object: Bool = false) -> Bool {
        guard let value = try? JSONValue.parse(text) else { return false }
        if object, case .object = value { return true }
        return !object
    }
}
