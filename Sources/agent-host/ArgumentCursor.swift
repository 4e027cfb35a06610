/// Walks one command's arguments for its option loop: the one place that takes an option's value
/// (or fails saying the option needs one), so each command's loop only says what its options mean.
struct ArgumentCursor {
    private let arguments: [String]
    private var index = -1

    init(_ arguments: [String], from start: Int = 0) {
        self.arguments = arguments
        index = start - 1
    }

    /// The next argument; nil after the last.
    mutating func next() -> String? {
        index += 1
        return index < arguments.count ? arguments[index] : nil
    }

    /// The argument after the current option, which it takes; without one, exits with
    /// `missing` (default "OPTION needs a value").
    mutating func value(_ missing: String? = nil) -> String {
        let option = index < arguments.count ? arguments[index] : "the option"
        guard index + 1 < arguments.count else { fail(missing ?? "\(option) needs a value") }
        index += 1
        return arguments[index]
    }
}
