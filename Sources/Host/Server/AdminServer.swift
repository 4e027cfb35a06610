import Foundation
import HostNet

/// The admin listener (`admin: {host, port, api_keys}`; off unless configured): its own port on
/// the host's loop, every request authenticated with `Authorization: Bearer KEY` against the
/// sha256 hashes, every action logged with the key that did it.
///   POST /admin/v1/reload   re-read the configuration (as SIGHUP); 200 applied / 422 refused
///   GET  /admin/v1/plugins  the plugin files serving new sessions (path, sha256, components)
///   GET  /admin/v1/tenants  the tenants serving new sessions
/// The work happens on the reloader's queue; replies go back through the loop.
final class AdminServer: Sendable {
    private let loop: EventLoop
    private let reloader: HostReloader
    private let keyHashes: [String]
    private let logger: Logger
    private let server: LockedValue<HTTPServer?> = LockedValue(nil)

    init(loop: EventLoop, reloader: HostReloader, keyHashes: [String], logger: Logger) {
        self.loop = loop
        self.reloader = reloader
        self.keyHashes = keyHashes
        self.logger = logger
    }

    /// Binds `host:port` (call with the loop running); returns the port.
    func start(host: String, port: Int) throws -> Int {
        let http = HTTPServer(loop: loop, configuration: HTTPServer.Configuration(host: host, port: port), handler: { [self] request, respond in
            handle(request, respond)
        })
        let bound = try http.start()
        server.set(http)
        logger.log(.info, "admin", "admin listener on http://\(host):\(bound)")
        return bound
    }

    func stop() { server.get()?.stop() }

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
            reloader.snapshot { _, catalog in reply(200, PluginReport.json(catalog)) }
        case ("GET", "/admin/v1/tenants"):
            reloader.snapshot { configuration, catalog in
                let tenants: [[String: Any]] = configuration.tenants.map { tenant in
                    ["id": tenant.id, "entry_agent": tenant.entryAgent, "default": tenant.id == configuration.defaultTenant,
                     "requires_key": !tenant.apiKeyHashes.isEmpty,
                     "plugins": tenant.plugins.map { id -> [String: Any] in
                         let version = tenant.pins[id]?.version
                         let provider = catalog.plugin(providing: id, version: version)
                         return ["id": id, "version": catalog.component(id, version: version)?.version ?? "", "file": provider?.fileName ?? "",
                                 "sha256": provider?.sha256 ?? ""]
                     }]
                }
                reply(200, JSONText.render(["tenants": tenants] as [String: Any]))
            }
        case (_, "/admin/v1/reload"), (_, "/admin/v1/plugins"), (_, "/admin/v1/tenants"):
            respond(ServerResponses.error(405, "\(request.method) is not allowed on \(request.path)"))
        default:
            respond(ServerResponses.error(404, "no such admin endpoint: \(request.path) (POST /admin/v1/reload, GET /admin/v1/plugins, GET /admin/v1/tenants)"))
        }
    }
}
