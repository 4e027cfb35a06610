import HostNet

/// Method + path-pattern routing ("/api/orders/{id}"), with 404 for unknown paths and 405 (and
/// an Allow header) for known paths with the wrong method.
struct Router {
    /// Receives the request and the values of the pattern's `{…}` segments, in order.
    typealias Handler = (HTTPRequest, [String]) throws -> HTTPResponse

    private var routes: [(method: String, pattern: [Substring], handler: Handler)] = []

    mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append((method, pattern.split(separator: "/"), handler))
    }

    func route(_ request: HTTPRequest) -> HTTPResponse {
        let segments = request.path.split(separator: "/")
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.match(route.pattern, segments) else { continue }
            guard route.method == request.method else { allowed.append(route.method); continue }
            do {
                return try route.handler(request, parameters)
            } catch let error as APIError {
                return error.response
            } catch {
                return APIError(status: 500, message: "internal error: \(error)", code: "internal").response
            }
        }
        if allowed.isEmpty { return APIError(status: 404, message: "no route for \(request.method) \(request.path)", code: "not_found").response }
        var response = APIError(status: 405, message: "method \(request.method) not allowed for \(request.path)", code: "method_not_allowed").response
        response.headers["Allow"] = allowed.joined(separator: ", ")
        return response
    }

    private static func match(_ pattern: [Substring], _ segments: [Substring]) -> [String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String] = []
        for (expected, actual) in zip(pattern, segments) {
            if expected.hasPrefix("{") {
                parameters.append(String(actual))   // the server already percent-decoded the path
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
