import Foundation
import HostNet
import HostServer
import HostSupport
import HostTenancy

/// The admin listener (`admin: {host, port, api_keys}`; off unless configured): its own port on
/// the host's loop, every request authenticated with `Authorization: Bearer KEY` against the
/// sha256 hashes, every action logged with the key that did it.
///   POST /admin/v1/reload   re-read the configuration (as SIGHUP); 200 applied / 422 refused
///   GET  /admin/v1/plugins  the plugin files (path, sha256, components) and, under `files`, every
///                           file live sessions still run: isolation, runner pid and restarts,
///                           tenants using it, live sessions
///   GET  /admin/v1/tenants  the tenants serving new sessions
///   POST /admin/v1/tenants/{id}/plugins/{plugin}/disable|enable   for that tenant's new sessions
///   POST /admin/v1/drain    stop taking sessions (/ready 503 draining) without exiting
/// The work happens on the reloader's queue; replies go back through the loop.
final class AdminServer: Sendable {
    private let loop: EventLoop
    private let reloader: HostReloader
    private let server: HostServer
    private let keyHashes: [String]
    private let logger: Logger
    private let listener: LockedValue<HTTPServer?> = LockedValue(nil)

    init(loop: EventLoop, reloader: HostReloader, server: HostServer, keyHashes: [String], logger: Logger) {
        self.loop = loop
        self.reloader = reloader
        self.server = server
        self.keyHashes = keyHashes
        self.logger = logger
    }

    /// Binds `host:port` (call with the loop running); returns the port.
    func start(host: String, port: Int) throws -> Int {
        let http = HTTPServer(loop: loop, configuration: HTTPServer.Configuration(host: host, port: port), handler: { [self] request, respond in
            handle(request, respond)
        })
        let bound = try http.start()
        listener.set(http)
        logger.log(.info, "admin", "admin listener on http://\(host):\(bound)")
        return bound
    }

    func stop() { listener.get()?.stop() }

    /// Which configured key `request` presents, as "key sha256:<first 12 hex>"; nil = none matches.
    private func caller(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"], header.lowercased().hasPrefix("bearer ") else { return nil }
        let key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let hash = keyHashes.first(where: { APIKeys.verify(key, against: [$0]) }) else { return nil }
        return "admin key \(hash.prefix(19))…"
    }

    private func handle(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let reply: @Sendable (Int, String) -> Void = { [loop] status, body in
            loop.execute { respond(ServerResponses.json(status, body)) }
        }
        guard let who = caller(request) else {
            logger.log(.warning, "admin", "\(request.method) \(request.path) refused: missing or invalid admin key")
            return respond(ServerResponses.error(401, "missing or invalid admin key: send Authorization: Bearer KEY (a key whose hash is in admin.api_keys)"))
        }
        logger.log(.info, "admin", "\(request.method) \(request.path) by \(who)")
        switch (request.method, request.path) {
        case ("POST", "/admin/v1/reload"):
            reloader.reload(requestedBy: who) { outcome in reply(outcome.applied ? 200 : 422, outcome.json) }
        case ("GET", "/admin/v1/plugins"):
            reloader.pluginReport { json in reply(200, json) }
        case ("POST", "/admin/v1/drain"):
            // Handlers run on the loop: the registry is the loop's.
            let started = server.stopTakingSessions()
            logger.log(.info, "admin", "drain \(started ? "started" : "requested again (already draining)") by \(who)")
            respond(ServerResponses.json(200, JSONText.render(["draining": true, "already": !started,
                                                               "active_sessions": server.registry.count] as [String: Any])))
        case ("GET", "/admin/v1/tenants"):
            reloader.snapshot { configuration, catalog in
                let tenants = TenantReport.tenants(configuration, catalog)
                reply(200, JSONText.render(["tenants": tenants] as [String: Any]))
            }
        case (let method, let path) where Self.pluginToggle(path) != nil:
            guard method == "POST", let (tenant, plugin, enable) = Self.pluginToggle(path) else {
                return respond(ServerResponses.error(405, "\(method) is not allowed on \(path): use POST"))
            }
            reloader.setPlugin(plugin, of: tenant, enabled: enable, requestedBy: who) { toggle in reply(toggle.status, toggle.json) }
        case (_, "/admin/v1/reload"), (_, "/admin/v1/plugins"), (_, "/admin/v1/tenants"), (_, "/admin/v1/drain"):
            respond(ServerResponses.error(405, "\(request.method) is not allowed on \(request.path)"))
        default:
            respond(ServerResponses.error(404, "no such admin endpoint: \(request.path) (POST /admin/v1/reload, GET /admin/v1/plugins, GET /admin/v1/tenants, POST /admin/v1/tenants/{id}/plugins/{plugin}/disable|enable, POST /admin/v1/drain)"))
        }
    }

    /// `/admin/v1/tenants/{id}/plugins/{plugin}/disable|enable` → (tenant, plugin, enable).
    static func pluginToggle(_ path: String) -> (String, String, Bool)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8, parts[0].isEmpty, parts[1] == "admin", parts[2] == "v1", parts[3] == "tenants", parts[5] == "plugins",
              !parts[4].isEmpty, !parts[6].isEmpty, parts[7] == "disable" || parts[7] == "enable" else { return nil }
        let decode = { (text: String) in text.removingPercentEncoding ?? text }
        return (decode(parts[4]), decode(parts[6]), parts[7] == "enable")
    }
}
