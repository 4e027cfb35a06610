/// Byte-level mutations in the manner of AFL and libFuzzer, driven by a `FuzzRandom` so every
/// run is reproducible from its seed: bit flips, random bytes, inserts and deletes, copies within
/// the input, splices with another input, "interesting" integers (boundaries of 8/16/32/64-bit
/// fields, both byte orders), a target's dictionary tokens, numbers in text swapped for edge
/// values, and long repeats (for nesting and size limits).
public struct Mutator: Sendable {
    public var dictionary: [[UInt8]]
    public var maxLength: Int

    public init(dictionary: [[UInt8]] = [], maxLength: Int = 4_096) {
        self.dictionary = dictionary
        self.maxLength = maxLength
    }

    static let interesting8: [UInt8] = [0, 1, 0x7E, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x20, 0x0A, 0x0D, 0x22, 0x5C, 0x25, 0x3A]
    static let interestingWide: [UInt64] = [0, 1, 125, 126, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
                                            0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
                                            0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, UInt64.max]
    static let interestingNumbers = ["0", "-0", "-1", "1", "2", "127", "128", "255", "256", "65535", "65536",
                                     "2147483647", "2147483648", "4294967296", "9223372036854775807",
                                     "9223372036854775808", "18446744073709551616", "-9223372036854775809",
                                     "1e308", "1e309", "-1e308", "1e-400", "0.005", "1.5", "99999999999999999999999",
                                     "NaN", "Infinity", "-Infinity", "1e999999999", "0x10", "00", "1.", ".5"]

    /// `input` with 1 to 5 stacked mutations; `pool` supplies splice partners.
    public func mutate(_ input: [UInt8], pool: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        var data = input
        for _ in 0...random.below(5) { mutateOnce(&data, pool: pool, random: &random) }
        if data.count > maxLength { data.removeLast(data.count - maxLength) }
        return data
    }

    private func mutateOnce(_ data: inout [UInt8], pool: [[UInt8]], random: inout FuzzRandom) {
        if data.isEmpty {
            data = dictionary.isEmpty || random.oneIn(2) ? [random.byte()] : random.element(dictionary)
            return
        }
        switch random.below(15) {
        case 0:   // flip one bit
            let at = random.below(data.count)
            data[at] ^= 1 << UInt8(random.below(8))
        case 1:   // one random byte
            data[random.below(data.count)] = random.byte()
        case 2:   // an interesting byte
            data[random.below(data.count)] = random.element(Self.interesting8)
        case 3:   // insert 1-8 random bytes
            let bytes = (0...random.below(8)).map { _ in random.byte() }
            data.insert(contentsOf: bytes, at: random.below(data.count + 1))
        case 4:   // delete a range
            let start = random.below(data.count)
            let length = 1 + random.below(Swift.min(data.count - start, random.oneIn(4) ? 64 : 8))
            data.removeSubrange(start..<(start + length))
        case 5:   // copy a range elsewhere (insert)
            let start = random.below(data.count)
            let length = 1 + random.below(Swift.min(data.count - start, 32))
            let chunk = Array(data[start..<(start + length)])
            data.insert(contentsOf: chunk, at: random.below(data.count + 1))
        case 6:   // overwrite with an interesting 16/32/64-bit value, either byte order
            let width = [2, 4, 8][random.below(3)]
            guard data.count >= width else { return }
            var value = random.element(Self.interestingWide)
            if random.oneIn(2) { value = value.byteSwapped >> UInt64(64 - 8 * width) }
            let at = random.below(data.count - width + 1)
            for i in 0..<width { data[at + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
        case 7, 8:   // insert a dictionary token
            guard !dictionary.isEmpty else { return mutateOnce(&data, pool: pool, random: &random) }
            data.insert(contentsOf: random.element(dictionary), at: random.below(data.count + 1))
        case 9:   // overwrite with a dictionary token
            guard !dictionary.isEmpty else { return mutateOnce(&data, pool: pool, random: &random) }
            let token = random.element(dictionary)
            let at = random.below(data.count)
            let end = Swift.min(data.count, at + token.count)
            data.replaceSubrange(at..<end, with: token)
        case 10:   // splice: our head, another input's tail
            guard let other = pool.isEmpty ? nil : random.element(pool), !other.isEmpty else { return }
            data = Array(data[..<random.below(data.count + 1)]) + Array(other[random.below(other.count)...])
        case 11:   // a number written in text becomes an edge value
            let digits = data.indices.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[$0]) }
            guard !digits.isEmpty else { return mutateOnce(&data, pool: pool, random: &random) }
            var start = random.element(digits)
            var end = start + 1
            while start > 0, Self.isNumberByte(data[start - 1]) { start -= 1 }
            while end < data.count, Self.isNumberByte(data[end]) { end += 1 }
            data.replaceSubrange(start..<end, with: Array(random.element(Self.interestingNumbers).utf8))
        case 12:   // repeat a short range many times (deep nesting, long tokens, size limits)
            let start = random.below(data.count)
            let length = 1 + random.below(Swift.min(data.count - start, 4))
            let chunk = Array(data[start..<(start + length)])
            let times = [16, 128, 1_000][random.below(3)]
            data.insert(contentsOf: Array([[UInt8]](repeating: chunk, count: times).joined()), at: start)
        case 13:   // cut the end off
            data.removeLast(1 + random.below(data.count))
        default:   // add or subtract a little
            let at = random.below(data.count)
            data[at] = random.oneIn(2) ? data[at] &+ UInt8(1 + random.below(4)) : data[at] &- UInt8(1 + random.below(4))
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+")
    }
}
