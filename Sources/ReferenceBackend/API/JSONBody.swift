import Foundation
import HostNet

/// JSON in and out of the API: snake_case keys, sorted for stable output, and decoding errors
/// turned into 400s that name the offending field.
enum JSONBody {
    static func response(status: Int, _ value: some Encodable) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(try encoder.encode(value)))
        } catch {
            return HTTPResponse(status: 500, headers: ["Content-Type": "application/json"], body: Array(#"{"error":"response encoding failed"}"#.utf8))
        }
    }

    /// Decodes the request body; `T` spells its wire names in its CodingKeys.
    static func decode<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws(APIError) -> T {
        guard !request.body.isEmpty else { throw .badRequest("request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body))
        } catch let DecodingError.keyNotFound(key, context) {
            throw .badRequest("missing field '\(path(context.codingPath + [key]))'")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .badRequest("field '\(path(context.codingPath))' must not be null")
        } catch let DecodingError.typeMismatch(expected, context) {
            if context.codingPath.isEmpty { throw .badRequest("request body must be a JSON object") }
            throw .badRequest("field '\(path(context.codingPath))' must be \(describe(expected))")
        } catch let DecodingError.dataCorrupted(context) {
            if context.codingPath.isEmpty { throw .badRequest("request body is not valid JSON") }
            throw .badRequest("field '\(path(context.codingPath))' has an invalid value")
        } catch {
            throw .badRequest("request body is not valid JSON")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "of another type"
        }
    }
}

/// Encodes `nil` as JSON null; synthesized Encodable would omit the key instead.
struct Nullable<Wrapped: Encodable>: Encodable {
    let value: Wrapped?
    init(_ value: Wrapped?) { self.value = value }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

extension String {
    /// The value with surrounding whitespace removed; required text fields must not be blank.
    func requiredText(field: String) throws(APIError) -> String {
        let trimmed = trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .badRequest("field '\(field)' must not be empty") }
        return trimmed
    }
}
