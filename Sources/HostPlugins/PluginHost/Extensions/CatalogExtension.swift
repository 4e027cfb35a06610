import PluginABI
import Synchronization

/// "agent_host.catalog.draft/0" (ext/draft/catalog.h): an instance that subscribed gets step
/// contexts without the routing catalog and fetches it here once per catalog version.
nonisolated(unsafe) let catalogTable: UnsafeMutablePointer<ah_host_catalog_t> = permanentTable(ah_host_catalog_t(
    struct_size: UInt32(MemoryLayout<ah_host_catalog_t>.size),
    subscribe: { host, _ in
        guard let context = InstanceContext.from(host) else { return AH_ERR_INVALID_ARGUMENT }
        context.catalog.subscribe()
        return AH_OK
    },
    fetch: { host, version, reader, user, errorOut in
        guard let context = InstanceContext.from(host), let version, let reader else { return AH_ERR_INVALID_ARGUMENT }
        let wanted = String(cString: version)
        guard var json = context.catalog.json(version: wanted) else {
            writeError("catalog version \(wanted) is no longer kept (the tenant was reloaded): take the next step's", to: errorOut)
            return AH_ERR_NOT_FOUND
        }
        json.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { reader(user, $0.baseAddress, $0.count) }
        }
        return AH_OK
    }))

/// One instance's side of the catalog extension: whether it subscribed, and the catalogs its
/// tenant runtimes published for it (the newest few versions: a reload publishes a new one while
/// sessions on the old runtime may still fetch theirs).
package final class CatalogChannel: Sendable {
    private let versions = Mutex<[(version: String, json: String)]>([])
    private let subscribedFlag = Atomic<Bool>(false)
    /// Versions kept per instance: a runtime and the one replacing it, with room to spare.
    static let keptVersions = 4

    /// Read for every step of the instance: an atomic, not the lock.
    package var subscribed: Bool { subscribedFlag.load(ordering: .acquiring) }

    func subscribe() {
        subscribedFlag.store(true, ordering: .releasing)
    }

    /// Records the catalog the tenant runtime renders into this instance's contexts.
    package func publish(version: String, json: String) {
        versions.withLock { versions in
            guard !versions.contains(where: { $0.version == version }) else { return }
            versions.append((version, json))
            if versions.count > Self.keptVersions { versions.removeFirst() }
        }
    }

    package func json(version: String) -> String? {
        versions.withLock { versions in versions.first { $0.version == version }?.json }
    }
}

/// Instances that have a host-side InstanceContext (in-process and isolated alike) expose its channel.
package protocol CatalogPublishing {
    var catalogChannel: CatalogChannel { get }
}

extension PluginInstance: CatalogPublishing {
    package var catalogChannel: CatalogChannel { hostTable.context.catalog }
}

extension IsolatedInstance: CatalogPublishing {
    package var catalogChannel: CatalogChannel { hostTable.context.catalog }
}
