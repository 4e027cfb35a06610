/// A broken invariant: the input was handled without crashing but the result was wrong (two ways
/// of feeding the same bytes disagree, an encoded value does not decode back to itself, ...).
public struct FuzzFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One harness: feeds an input to the code under test and checks what it must always hold.
/// Crashes (traps, bad memory access, stack overflow) are caught by the engine, not here.
public struct FuzzTarget: Sendable {
    public let name: String
    /// One line for `agent-host-fuzz list`.
    public let summary: String
    /// Tokens the mutator splices in (keywords, delimiters, magic values of the format).
    public let dictionary: [[UInt8]]
    public let maxInputLength: Int
    /// Runs one input; returns a signature of the behaviour it caused (which events, which
    /// error), so the engine keeps inputs that did something new as starting points.
    public let run: @Sendable ([UInt8]) throws(FuzzFailure) -> UInt64

    /// `dictionary` holds text tokens (as UTF-8), `byteTokens` raw bytes.
    public init(name: String, summary: String, dictionary: [String] = [], byteTokens: [[UInt8]] = [], maxInputLength: Int = 4_096,
                run: @escaping @Sendable ([UInt8]) throws(FuzzFailure) -> UInt64) {
        self.name = name
        self.summary = summary
        self.dictionary = dictionary.map { Array($0.utf8) } + byteTokens
        self.maxInputLength = maxInputLength
        self.run = run
    }
}

/// Invariant checks for harnesses: throw a `FuzzFailure` that says what differed.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzFailure) {
    if !condition { throw FuzzFailure(message()) }
}

public func fuzzCheckEqual<T: Equatable>(_ a: T, _ b: T, _ what: @autoclosure () -> String) throws(FuzzFailure) {
    if a != b { throw FuzzFailure("\(what()): \(String(describing: a).prefix(600)) != \(String(describing: b).prefix(600))") }
}
