import Foundation
import HostNet

/// JSON out of the API: snake_case keys, sorted for stable output. (Requests are read by
/// `RequestFields`.)
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
