import HostNet

/// A failed API call: the HTTP status and the JSON body {"error": ..., "code": ..., ...}.
struct APIError: Error {
    let status: Int
    let message: String
    var code: String?
    var details: [String: String] = [:]

    static func badRequest(_ message: String) -> APIError { APIError(status: 400, message: message, code: "bad_request") }
    static func notFound(_ message: String) -> APIError { APIError(status: 404, message: message, code: "not_found") }
    static func unprocessable(_ code: String, _ message: String) -> APIError { APIError(status: 422, message: message, code: code) }
    static func conflict(_ code: String, _ message: String, _ details: [String: String] = [:]) -> APIError {
        APIError(status: 409, message: message, code: code, details: details)
    }

    var response: HTTPResponse {
        var body = details
        body["error"] = message
        if let code { body["code"] = code }
        return JSONBody.response(status: status, body)
    }
}
