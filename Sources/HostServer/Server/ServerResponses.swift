import HostNet
import HostOrchestration
import HostSupport

/// JSON responses with the headers every endpoint sends.
package enum ServerResponses {
    package static func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
    }

    /// `{"error": message}`: what went wrong, in words that say what to do.
    package static func error(_ status: Int, _ message: String) -> HTTPResponse {
        json(status, "{\"error\":\(JSONText.quote(message))}")
    }

    static func events(_ events: [ConversationEvent]) -> String {
        "[" + events.map(\.json).joined(separator: ",") + "]"
    }
}

/// A request the server answers with `response` instead of serving it.
struct Rejection: Error {
    let response: HTTPResponse

    init(_ response: HTTPResponse) {
        self.response = response
    }
}
