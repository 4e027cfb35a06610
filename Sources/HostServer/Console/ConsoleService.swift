import ConsoleAssets
import Foundation
import HostNet
import HostSupport
import HostTenancy

/// The operator console and the browser playground (docs/console.md), on the host's own port:
///   GET  /console                    the console page (operators: admin key)
///   GET  /console/playground         the playground page (callers: tenant key)
///   GET  /console/assets/{file}      their CSS and JavaScript
///   POST /console/v1/ticket          a one-use WebSocket ticket for a tenant (tenant key)
///   GET  /console/v1/sessions        live sessions across tenants, and the recently ended (admin key)
///   GET  /console/v1/sessions/{id}?after=N   one session's events from number N on (admin key)
///   POST /console/v1/sessions/{id}/end       end it (reason `operator_ended`) (admin key)
///   POST /console/v1/drain           stop taking sessions, as the admin listener's drain (admin key)
///   GET  /console/v1/history?tenant=&caller=  the caller's stored interactions (admin key)
///   GET  /console/v1/plugins         plugin files, refusals and tenants (admin key)
///   GET  /console/v1/stats           the last hour for the charts (admin key)
/// Keys travel only in `Authorization` headers; the pages keep them in memory. Loop thread only.
public final class ConsoleService: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread (the reloader's replies hop back to it).
    /// Where the plugin and tenant reports come from (the reloader, as for the admin listener).
    public struct Reports: Sendable {
        public var plugins: @Sendable (@escaping @Sendable (String) -> Void) -> Void
        public var tenants: @Sendable (@escaping @Sendable (String) -> Void) -> Void

        public init(plugins: @escaping @Sendable (@escaping @Sendable (String) -> Void) -> Void,
                    tenants: @escaping @Sendable (@escaping @Sendable (String) -> Void) -> Void) {
            self.plugins = plugins
            self.tenants = tenants
        }
    }

    /// The Content-Security-Policy of every console response: only this host's own scripts, styles,
    /// worklets and sockets; no inline script, no frames, no plugins, no other origin.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; media-src 'self' blob:; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    unowned let server: HostServer
    private let adminKeyHashes: [String]
    let reports: Reports?
    let monitor = ConsoleMonitor()
    let tickets = ConsoleTickets()

    /// `adminKeyHashes` empty: the operator pages answer 403 (configure `admin.api_keys`); the
    /// playground still works.
    public init(server: HostServer, adminKeyHashes: [String], reports: Reports?) {
        self.server = server
        self.adminKeyHashes = adminKeyHashes
        self.reports = reports
        monitor.activeSessions = { [unowned server] in server.registry.count }
    }

    static func handles(_ path: String) -> Bool { path == "/console" || path.hasPrefix("/console/") }

    func route(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let reply: HTTPResponder = { respond(Self.secured($0)) }
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/console"), ("GET", "/console/"): return reply(page("console.html"))
        case ("GET", "/console/playground"): return reply(page("playground.html"))
        case ("GET", _) where path.hasPrefix("/console/assets/"): return reply(asset(String(path.dropFirst("/console/assets/".count))))
        case ("POST", "/console/v1/ticket"): return reply(ticket(request))
        case (_, "/console/v1/ticket"): return reply(ServerResponses.error(405, "\(request.method) is not allowed on /console/v1/ticket: use POST with the tenant's key"))
        default: break
        }
        guard path.hasPrefix("/console/v1/") else {
            return reply(ServerResponses.error(404, "no console page at \(path): open /console or /console/playground"))
        }
        guard !adminKeyHashes.isEmpty else {
            return reply(ServerResponses.error(403, "the console's operator pages need admin keys: add admin.api_keys to the configuration (docs/console.md)"))
        }
        guard let header = request.headers["Authorization"], header.lowercased().hasPrefix("bearer "),
              APIKeys.verify(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), against: adminKeyHashes) else {
            server.services.logger.log(.warning, "console", "\(request.method) \(path) refused: missing or invalid admin key")
            return reply(ServerResponses.error(401, "missing or invalid admin key: sign in with a key whose hash is in admin.api_keys"))
        }
        operatorRoute(request, reply)
    }

    // MARK: pages

    private func page(_ name: String) -> HTTPResponse {
        asset(name)
    }

    private func asset(_ name: String) -> HTTPResponse {
        guard let bytes = ConsoleAssets.file(name) else {
            return ServerResponses.error(404, "no console asset '\(name)'")
        }
        let type: String
        switch (name as NSString).pathExtension {
        case "html": type = "text/html; charset=utf-8"
        case "css": type = "text/css; charset=utf-8"
        default: type = "text/javascript; charset=utf-8"
        }
        return HTTPResponse(status: 200, headers: ["Content-Type": type, "Cache-Control": "no-cache"], body: bytes)
    }

    /// Every console response: the CSP and the headers that keep it out of frames and sniffing.
    static func secured(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers["Content-Security-Policy"] = contentSecurityPolicy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = response.headers["Cache-Control"] ?? "no-store"
        return response
    }

    // MARK: tickets

    /// `POST /console/v1/ticket?tenant=ID` with the tenant's key (when it has keys) →
    /// `{"ticket","tenant","expires_in_seconds"}`.
    private func ticket(_ request: HTTPRequest) -> HTTPResponse {
        let bodyTenant = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["tenant"] as? String
        switch server.resolveTenant(request, bodyTenant: bodyTenant) {
        case .failure(let rejection): return rejection.response
        case .success(let tenant):
            guard let ticket = tickets.issue(tenant: tenant.id) else {
                return ServerResponses.error(503, "too many WebSocket tickets outstanding: try again in \(Int(ConsoleTickets.lifetimeSeconds)) s")
            }
            return ServerResponses.json(200, JSONText.render(["ticket": ticket, "tenant": tenant.id,
                                                              "expires_in_seconds": Int(ConsoleTickets.lifetimeSeconds)] as [String: Any]))
        }
    }
}
