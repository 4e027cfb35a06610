import HostNet

/// The members of a request's JSON object, read field by field with the API's rules. Every
/// refusal is a `400` whose message names the field and says what is wrong with it, and comes
/// before the endpoint touches storage: a refused request writes nothing.
///
/// Absent and `null` mean the same for optional fields. Unknown members are ignored.
struct RequestFields {
    private let members: [String: RequestJSON.Value]

    init(_ request: HTTPRequest) throws(APIError) {
        guard !request.body.isEmpty else { throw .badRequest("request body must be a JSON object") }
        let value: RequestJSON.Value
        do {
            value = try RequestJSON.parse(request.body)
        } catch {
            let place = error.field.map { "field '\(RequestJSON.shown($0))'" } ?? "request body"
            throw .badRequest("\(place) is not valid JSON: \(error.message) (at byte \(error.offset))")
        }
        guard case .object(let members) = value else {
            throw .badRequest("request body must be a JSON object, got \(value.kind)")
        }
        self.members = members
    }

    /// The member, nil when absent or null.
    private func value(_ name: String) -> RequestJSON.Value? {
        guard let value = members[name], value != .null else { return nil }
        return value
    }

    private func required(_ name: String) throws(APIError) -> RequestJSON.Value {
        guard let value = members[name] else { throw .badRequest("missing field '\(name)'") }
        guard value != .null else { throw .badRequest("field '\(name)' must not be null") }
        return value
    }

    private func wrongType(_ name: String, _ expected: String, _ value: RequestJSON.Value) -> APIError {
        .badRequest("field '\(name)' must be \(expected), got \(value.kind)")
    }

    // MARK: text

    /// Required text, trimmed, not blank, at most `maxLength` characters, no control characters
    /// (line breaks and tabs are allowed).
    func text(_ name: String, maxLength: Int) throws(APIError) -> String {
        let value = try required(name)
        guard case .string(let raw) = value else { throw wrongType(name, "a string", value) }
        return try Self.checkedText(raw, field: name, maxLength: maxLength)
    }

    func optionalText(_ name: String, maxLength: Int) throws(APIError) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let raw) = value else { throw wrongType(name, "a string", value) }
        return try Self.checkedText(raw, field: name, maxLength: maxLength)
    }

    /// An id such as ORD-12345 or CUST-1001: 1 to 64 ASCII letters, digits, '-' or '_'.
    func identifier(_ name: String) throws(APIError) -> String {
        let value = try required(name)
        guard case .string(let raw) = value else { throw wrongType(name, "a string", value) }
        let id = try Self.checkedText(raw, field: name, maxLength: 64)
        try Self.checkIdentifier(id, what: "field '\(name)'")
        return id
    }

    static func checkedText(_ raw: String, field: String, maxLength: Int) throws(APIError) -> String {
        let text = raw.trimmingWhitespace
        guard !text.isEmpty else { throw .badRequest("field '\(field)' must not be empty") }
        guard text.unicodeScalars.count <= maxLength else {
            throw .badRequest("field '\(field)' must be at most \(maxLength) characters, got \(text.unicodeScalars.count)")
        }
        guard !text.unicodeScalars.contains(where: { ($0.value < 0x20 && !["\t", "\n", "\r"].contains($0)) || $0.value == 0x7F }) else {
            throw .badRequest("field '\(field)' must not contain control characters")
        }
        return text
    }

    /// The one rule for ids, in bodies and in paths.
    static func checkIdentifier(_ id: String, what: String) throws(APIError) {
        let allowed = { (byte: UInt8) in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy(allowed) else {
            throw .badRequest("\(what) must be 1 to 64 letters, digits, '-' or '_', got '\(RequestJSON.shown(id))'")
        }
    }

    // MARK: numbers

    /// A whole number in `range`; `2.0` counts as 2, `2.5` does not.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let value = value(name) else { return nil }
        guard case .number(let literal) = value else { throw wrongType(name, "a whole number", value) }
        let number = DecimalLiteral(literal)
        guard number.decimalPlaces == 0 else {
            throw .badRequest("field '\(name)' must be a whole number, got \(RequestJSON.shown(literal))")
        }
        guard let magnitude = number.magnitude(scaledBy: 0), range.contains(number.negative ? -magnitude : magnitude) else {
            throw .badRequest("field '\(name)' must be between \(range.lowerBound) and \(range.upperBound), got \(RequestJSON.shown(literal))")
        }
        return number.negative ? -magnitude : magnitude
    }

    func requiredInteger(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int {
        _ = try required(name)
        guard let whole = try integer(name, in: range) else { throw .badRequest("missing field '\(name)'") }
        return whole
    }

    /// An amount of money: a JSON number, not negative, at most `limit`, in whole cents (at most
    /// two decimal places: `0.005` is refused, never rounded).
    func money(_ name: String, atMost limit: Money) throws(APIError) -> Money? {
        guard let value = value(name) else { return nil }
        guard case .number(let literal) = value else { throw wrongType(name, "a number", value) }
        let number = DecimalLiteral(literal)
        let shown = RequestJSON.shown(literal)
        if number.negative, !number.isZero { throw .badRequest("field '\(name)' must not be negative, got \(shown)") }
        // Size before precision: 1e308 is "too large", not "too many decimals".
        guard let cents = number.magnitude(scaledBy: 2), cents <= limit.cents else {
            throw .badRequest("field '\(name)' must be at most \(limit), got \(shown)")
        }
        guard number.decimalPlaces <= 2 else {
            throw .badRequest("field '\(name)' must have at most 2 decimal places (whole cents), got \(shown)")
        }
        return Money(cents: cents)
    }
}

extension String {
    /// Without surrounding spaces, tabs and line breaks.
    var trimmingWhitespace: String {
        let isSpace = { (scalar: Unicode.Scalar) in [" ", "\t", "\n", "\r"].contains(scalar) }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
