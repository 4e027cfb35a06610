import CYaml
import Foundation
import HostSupport
import Yams

/// Reads Yams nodes into typed values; every failure becomes a located `ConfigurationError`.
/// Yams values never leave this file's callers (they are not Sendable).
package struct ConfigurationReader {
    let file: String
    let environment: [String: String]

    package init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    // Resolved YAML 1.2 core tags (compared by name: Yams' Tag.Name constants are not Sendable).
    package static let nullTag = "tag:yaml.org,2002:null"
    package static let boolTag = "tag:yaml.org,2002:bool"
    package static let intTag = "tag:yaml.org,2002:int"
    package static let floatTag = "tag:yaml.org,2002:float"

    func error(_ node: Node?, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, at: Self.location(of: node), message)
    }

    package static func location(of node: Node?) -> SourceLocation? {
        guard let mark = node?.mark else { return nil }
        return SourceLocation(line: mark.line, column: mark.column)
    }

    /// The document's root node; nil for an empty document. Syntax errors keep libyaml's place.
    package func compose(_ text: String) throws(ConfigurationError) -> Node? {
        if let (line, column) = Self.tooDeep(text) {
            throw ConfigurationError(file: file, line: line, column: column,
                                     message: "the YAML nests deeper than \(Self.maxYAMLDepth) levels")
        }
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, text: text)
        } catch {
            throw ConfigurationError(file: file, at: nil, "invalid YAML: \(error)")
        }
    }

    /// Yams composes recursively, one call per level of nesting: 20,000 nested lists overflowed
    /// the stack (5,000 under AddressSanitizer), which kills the host at start. Refused before Yams.
    static let maxYAMLDepth = 1_000

    /// Where the text first nests deeper than `maxYAMLDepth` collections, else nil. Counted on
    /// libyaml's event stream (the parser Yams bundles), which keeps its own stack instead of
    /// recursing; syntax errors are left to `Yams.compose`, which reports them with their place.
    static func tooDeep(_ text: String) -> (line: Int, column: Int)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> (line: Int, column: Int)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var depth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    depth += 1
                    if depth > maxYAMLDepth { return (Int(event.start_mark.line) + 1, Int(event.start_mark.column) + 1) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                case YAML_STREAM_END_EVENT:
                    return nil
                default:
                    break
                }
            }
        }
    }

    private func syntaxError(_ error: YamlError, text: String) -> ConfigurationError {
        func located(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ConfigurationError {
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at \(context.mark.line):\(context.mark.column))"
            }
            return ConfigurationError(file: file, line: mark.line, column: mark.column, message: message)
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            return located(context, problem, mark)
        case let .reader(problem, offset, _, _):
            var line = 0, column = 0
            if let offset {
                // Byte offset → 1-based line and column.
                let prefix = text.utf8.prefix(offset)
                line = prefix.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
                let lastLine = prefix.split(separator: 10, omittingEmptySubsequences: false).last ?? []
                column = String(decoding: lastLine, as: UTF8.self).unicodeScalars.count + 1
            }
            return ConfigurationError(file: file, line: line, column: column, message: "invalid YAML: \(problem)")
        default:
            return ConfigurationError(file: file, at: nil, "invalid YAML: \(error)")
        }
    }

    package static func tagName(_ node: Node) -> String { node.tag.description }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return tagName(node) == nullTag }
        return false
    }

    /// A short rendering of a value for messages.
    static func show(_ node: Node) -> String {
        if isNull(node) { return "nothing" }
        switch node {
        case .scalar(let scalar): return "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    // MARK: - ${VAR} substitution

    /// Replaces `${NAME}` with the environment variable NAME (an error when it is not set) and
    /// `${NAME:-default}` with NAME, or `default` when NAME is unset or empty. `$${` is a literal `${`.
    func substitute(_ text: String, at node: Node, _ describe: (String) -> String) throws(ConfigurationError) -> String {
        guard text.contains("$") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let c = scalars[index]
            guard c == "$", index + 1 < scalars.count else {
                out.append(c)
                index += 1
                continue
            }
            if scalars[index + 1] == "$", index + 2 < scalars.count, scalars[index + 2] == "{" {
                out.append(contentsOf: "${".unicodeScalars)
                index += 3
                continue
            }
            guard scalars[index + 1] == "{" else {
                out.append(c)
                index += 1
                continue
            }
            guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                throw error(node, describe("unterminated \"${\" (write \"$${\" for a literal \"${\")"))
            }
            let inner = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
            let name: String
            let fallback: String?
            if let range = inner.range(of: ":-") {
                name = String(inner[..<range.lowerBound])
                fallback = String(inner[range.upperBound...])
            } else {
                name = inner
                fallback = nil
            }
            guard Self.isVariableName(name) else {
                throw error(node, describe("\"${\(inner)}\" is not a variable reference like ${NAME} or ${NAME:-default}"))
            }
            let value = environment[name]
            if let fallback {
                out.append(contentsOf: ((value?.isEmpty ?? true) ? fallback : value!).unicodeScalars)
            } else if let value {
                out.append(contentsOf: value.unicodeScalars)
            } else {
                throw error(node, describe("environment variable \(name) is not set"))
            }
            index = close + 1
        }
        return String(out)
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    // MARK: - settings: YAML → JSON

    /// Settings nest at most this deep and expand to at most this many values: YAML aliases let a
    /// few hundred bytes stand for billions of values (a 639-byte file never finished loading), and
    /// the conversion recursed once per level (5,000 nested lists overflowed the stack).
    static let maxSettingsDepth = 64
    static let maxSettingsValues = 100_000

    /// A settings value as JSON; strings get `${VAR}` substitution.
    func json(_ node: Node, _ describe: (String) -> String) throws(ConfigurationError) -> SettingsJSON {
        var budget = Self.maxSettingsValues
        return try json(node, depth: 0, budget: &budget, describe)
    }

    private func json(_ node: Node, depth: Int, budget: inout Int, _ describe: (String) -> String) throws(ConfigurationError) -> SettingsJSON {
        budget -= 1
        guard budget >= 0 else {
            throw error(node, describe("expands to more than \(Self.maxSettingsValues) values (aliases of aliases?)"))
        }
        guard depth <= Self.maxSettingsDepth else { throw error(node, describe("nests deeper than \(Self.maxSettingsDepth) levels")) }
        switch node {
        case .scalar(let scalar):
            switch Self.tagName(node) {
            case Self.nullTag:
                return .null
            case Self.boolTag:
                if let value = node.bool { return .bool(value) }
            case Self.intTag:
                if let value = node.int { return .int(value) }
                throw error(node, describe("integer \(scalar.string) does not fit in 64 bits"))
            case Self.floatTag:
                if let value = node.float, value.isFinite { return .double(value) }
                throw error(node, describe("\(scalar.string) is not a finite number (JSON has no infinity or NaN)"))
            default:
                break
            }
            return .string(try substitute(scalar.string, at: node, describe))
        case .sequence(let sequence):
            var items: [SettingsJSON] = []
            for item in sequence { items.append(try json(item, depth: depth + 1, budget: &budget, describe)) }
            return .array(items)
        case .mapping(let mapping):
            var members: [(String, SettingsJSON)] = []
            var seen: Set<String> = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw error(key, describe("mapping keys must be plain strings"))
                }
                guard seen.insert(keyScalar.string).inserted else {
                    throw error(key, describe("duplicate key \"\(keyScalar.string)\""))
                }
                members.append((keyScalar.string, try json(value, depth: depth + 1, budget: &budget, describe)))
            }
            return .object(members)
        }
    }
}

/// Where in the file a mapping sits, for messages: `tenant "acme": limits.step_timeout_ms: ...`.
struct ConfigurationScope {
    /// What the mapping belongs to, e.g. `tenant "acme"`; nil at the top and in top-level sections.
    var owner: String?
    /// Keys from the owner (or the top) down to this mapping, e.g. ["limits"] or ["server", "limits"].
    var path: [String] = []

    static let top = ConfigurationScope(owner: nil)

    func child(_ key: String) -> ConfigurationScope { ConfigurationScope(owner: owner, path: path + [key]) }

    /// `owner: path.field: problem`, leaving out what is empty.
    func message(_ field: String?, _ problem: String) -> String {
        let place = (path + (field.map { [$0] } ?? [])).joined(separator: ".")
        return ([owner, place.isEmpty ? nil : place].compactMap { $0 } + [problem]).joined(separator: ": ")
    }
}

/// One YAML mapping whose keys were checked: no unknown keys (typos), no duplicates.
struct ConfigurationMapping {
    let reader: ConfigurationReader
    let scope: ConfigurationScope
    let node: Node
    private(set) var entries: [String: (key: Node, value: Node)] = [:]

    init(_ node: Node, scope: ConfigurationScope, allowed: [String], reader: ConfigurationReader) throws(ConfigurationError) {
        self.reader = reader
        self.scope = scope
        self.node = node
        guard case .mapping(let mapping) = node else {
            let expected = "must be a mapping (keys: \(allowed.joined(separator: ", "))), got \(ConfigurationReader.show(node))"
            throw reader.error(node, scope.message(nil, expected))
        }
        for (key, value) in mapping {
            guard case .scalar(let keyScalar) = key else {
                throw reader.error(key, scope.message(nil, "keys must be plain words, got \(ConfigurationReader.show(key))"))
            }
            let name = keyScalar.string
            if let first = entries[name] {
                let line = ConfigurationReader.location(of: first.key).map { " (first at line \($0.line))" } ?? ""
                throw reader.error(key, scope.message(nil, "duplicate key \"\(name)\"\(line)"))
            }
            guard allowed.contains(name) else {
                var problem = "unknown key \"\(name)\""
                if let guess = Self.suggestion(for: name, among: allowed) { problem += " (did you mean \"\(guess)\"?)" }
                throw reader.error(key, scope.message(nil, problem))
            }
            entries[name] = (key, value)
        }
    }

    /// The value of `name`; nil when absent or null (`key:` with nothing after it).
    func value(_ name: String) -> Node? {
        guard let value = entries[name]?.value, !ConfigurationReader.isNull(value) else { return nil }
        return value
    }

    func fail(_ name: String?, _ problem: String) -> ConfigurationError {
        let node = name.flatMap { value($0) ?? entries[$0]?.key } ?? node
        return reader.error(node, scope.message(name, problem))
    }

    func fail(at node: Node, _ name: String?, _ problem: String) -> ConfigurationError {
        reader.error(node, scope.message(name, problem))
    }

    func string(_ name: String) throws(ConfigurationError) -> String? {
        guard let node = value(name) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw fail(at: node, name, "must be a string, got \(ConfigurationReader.show(node))")
        }
        return scalar.string
    }

    func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let node = value(name) else { return nil }
        guard case .scalar = node, let value = node.bool else {
            throw fail(at: node, name, "must be true or false, got \(ConfigurationReader.show(node))")
        }
        return value
    }

    func requiredString(_ name: String) throws(ConfigurationError) -> String {
        guard let value = try string(name) else { throw reader.error(node, scope.message(nil, "\(name) is required")) }
        return value
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let node = value(name) else { return nil }
        guard case .scalar(let scalar) = node, ConfigurationReader.tagName(node) == ConfigurationReader.intTag else {
            throw fail(at: node, name, "must be an integer, got \(ConfigurationReader.show(node))")
        }
        guard let number = node.int, range.contains(number) else {
            throw fail(at: node, name, "must be between \(range.lowerBound) and \(range.upperBound), got \(scalar.string)")
        }
        return number
    }

    func double(_ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let node = value(name) else { return nil }
        let tag = ConfigurationReader.tagName(node)
        guard case .scalar(let scalar) = node, tag == ConfigurationReader.intTag || tag == ConfigurationReader.floatTag,
              let number = node.float else {
            throw fail(at: node, name, "must be a number, got \(ConfigurationReader.show(node))")
        }
        guard number.isFinite, range.contains(number) else {
            throw fail(at: node, name, "must be between \(range.lowerBound) and \(range.upperBound), got \(scalar.string)")
        }
        return number
    }

    /// A list of strings, each with its node (for locating later errors).
    func stringList(_ name: String) throws(ConfigurationError) -> [(value: String, node: Node)]? {
        guard let node = value(name) else { return nil }
        guard case .sequence(let sequence) = node else {
            throw fail(at: node, name, "must be a list, got \(ConfigurationReader.show(node))")
        }
        var items: [(value: String, node: Node)] = []
        for item in sequence {
            guard case .scalar(let scalar) = item, !ConfigurationReader.isNull(item) else {
                throw fail(at: item, name, "list items must be strings, got \(ConfigurationReader.isNull(item) ? "an empty item" : ConfigurationReader.show(item))")
            }
            items.append((scalar.string, item))
        }
        return items
    }

    func mapping(_ name: String, allowed: [String]) throws(ConfigurationError) -> ConfigurationMapping? {
        guard let node = value(name) else { return nil }
        return try ConfigurationMapping(node, scope: scope.child(name), allowed: allowed, reader: reader)
    }

    /// The allowed key the name is most likely a typo of: one it is a prefix of (or that is a prefix
    /// of it), else the closest within an edit distance of a third of its length (at least 2).
    static func suggestion(for name: String, among allowed: [String]) -> String? {
        let lowered = name.lowercased()
        if lowered.count >= 3, let prefixed = allowed.first(where: { $0.hasPrefix(lowered) || lowered.hasPrefix($0) }) {
            return prefixed
        }
        let limit = Swift.max(2, name.count / 3)
        let scored = allowed.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A JSON value, written with object members in file order.
indirect enum SettingsJSON: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([SettingsJSON])
    case object([(String, SettingsJSON)])

    static func == (lhs: SettingsJSON, rhs: SettingsJSON) -> Bool { lhs.serialized == rhs.serialized }

    var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value):
            // Swift's shortest round-trip form is valid JSON ("0.5", "2.0", "1e-05", "1e+20").
            out += "\(value)"
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                Self.writeString(member.0, to: &out)
                out += ":"
                member.1.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ value: String, to out: inout String) {
        out += JSONText.quote(value)
    }
}
