/// A place in the configuration file: 1-based line and column (columns count Unicode scalars,
/// as libyaml does).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// What is wrong with a configuration file, as one line an operator can act on:
/// `config.yaml:14:18: tenant "acme": entry_agent "x" is not in its plugins`.
/// `line` and `column` are 0 when the problem has no place in the file (e.g. it cannot be read).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public init(file: String, at location: SourceLocation?, _ message: String) {
        self.init(file: file, line: location?.line ?? 0, column: location?.column ?? 0, message: message)
    }

    public var location: SourceLocation? { line > 0 ? SourceLocation(line: line, column: column) : nil }

    public var description: String {
        guard line > 0 else { return "\(file): \(message)" }
        return "\(file):\(line):\(column): \(message)"
    }
}
