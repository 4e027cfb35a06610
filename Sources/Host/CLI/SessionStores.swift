import Foundation
import HostNet

/// Chooses the session store for a configuration: Redis when a URL is configured, else memory.
public enum SessionStores {
    public static func make(_ redis: HostConfiguration.Redis) -> HostRunner.PersistenceFactory {
        { loop, services in
            let memory = InMemorySessionPersistence()
            if let url = redis.url, !url.isEmpty {
                services.logger.log(.warning, "sessions", "redis \(url) configured but the Redis store is not wired yet: keeping records in memory")
                return (memory, { ("Redis store not wired yet", [:]) })
            }
            return (memory, { (nil, ["session_store": "\"memory\""]) })
        }
    }
}
