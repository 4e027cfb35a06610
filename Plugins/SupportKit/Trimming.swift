extension String {
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` without Foundation: that call goes through
    /// NSString on Linux and was ~3 % of a saturated loop's samples in the reference plugins, which
    /// trim every turn's input (docs/benchmarks.md). Same set (checked scalar by scalar over
    /// the Basic Multilingual Plane by `TrimmingTests`): Unicode White_Space (tabs, line breaks,
    /// U+0085, no-break and typographic spaces) and, as corelibs Foundation has it, U+200B.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !Self.isWhitespace($0) }) else { return "" }
        // A non-whitespace scalar exists, so the search from the end finds one at or after `first`.
        let last = scalars.lastIndex(where: { !Self.isWhitespace($0) }) ?? first
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return self }
        return String(scalars[first...last])
    }

    @inline(__always)
    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 ? scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace || scalar.value == 0x200B
    }
}
