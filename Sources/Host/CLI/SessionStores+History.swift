import HostServer
import HostSessions

/// The Redis store answers the console's history page (HostServer's `SessionHistory`) from the
/// caller's record; it lives here because the store itself is wired up here.
extension RedisSessionPersistence: SessionHistory {
    package func interactions(tenant: String, caller: String, completion: @escaping @Sendable ([SessionRecord.Interaction]) -> Void) {
        records.interactions(tenant: tenant, caller: caller, completion: completion)
    }
}
