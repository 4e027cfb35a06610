import Foundation
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport

/// The reference system in one process: plugins loaded, a backend (started here unless one is
/// given), an event loop and the demo tenant. Used by `chat --local`, `eval routing` and the
/// turn benchmark. `shutdown()` stops what it started.
public final class LocalDeployment: @unchecked Sendable {
    // @unchecked: immutable after init; the loop and services are themselves thread-safe.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let exitCode: Int32
    }

    public let catalog: PluginCatalog
    public let loop: EventLoop
    public let services: HostServices
    public let tenant: TenantRuntime
    public let backendURL: String
    private let backend: ReferenceBackendProcess?

    /// Where the commerce tools' backend is.
    public enum Backend: Sendable {
        /// Start the reference backend here (and stop it in `shutdown`).
        case startReference
        /// Use a running backend.
        case url(String)
    }

    public convenience init(pluginDirectories: [String] = PluginLoader.defaultDirectories(), backendURL: String? = nil,
                            apiKey: String = "demo-key", configure: (inout TenantConfiguration) -> Void = { _ in }) throws(Failure) {
        try self.init(pluginDirectories: pluginDirectories, backend: backendURL.map { .url($0) } ?? .startReference,
                      apiKey: apiKey, configure: configure)
    }

    /// `tracing`: where the sessions' spans go (off by default; the tracing benchmark turns it on).
    public init(pluginDirectories: [String], backend backendChoice: Backend, apiKey: String, tracing: HostTracing = .disabled,
                configure: (inout TenantConfiguration) -> Void) throws(Failure) {
        catalog = PluginLoader(directories: pluginDirectories).loadAll()
        for refusal in catalog.refused { Logger.shared.log(.warning, "plugins", "refused \(refusal)") }
        if case .url(let backendURL) = backendChoice {
            backend = nil
            self.backendURL = backendURL
        } else {
            do {
                let started = try ReferenceBackendProcess(apiKey: apiKey)
                backend = started
                self.backendURL = started.url
            } catch {
                throw Failure(description: "\(error)", exitCode: 1)
            }
        }
        loop = EventLoop(name: "local", threadName: "loop-0")
        loop.start()
        services = HostServices(loop: loop, tracing: tracing)
        var configuration = ReferenceDeployment.tenant(catalog: catalog, backendURL: self.backendURL, apiKey: apiKey)
        configure(&configuration)
        do {
            tenant = try TenantRuntime(configuration: configuration, catalog: catalog, services: services)
        } catch {
            loop.stop()
            backend?.stop()
            throw Failure(description: "\(error) (plugin directories: \(pluginDirectories.joined(separator: ", ")))", exitCode: 1)
        }
    }

    /// A new conversation for `caller` whose events go to `onEvent`.
    public func conversation(caller: String, onEvent: @escaping Conversation.EventHandler) -> Conversation {
        Conversation(tenant: tenant, caller: caller, loop: loop, services: services, onEvent: onEvent)
    }

    public func shutdown() {
        services.shutdown()
        loop.stop()
        backend?.stop()
    }
}
