/// A tenant as the server serves it: its plugins (the orchestration's runtime) and its policy.
public struct ServedTenant: Sendable {
    public let runtime: TenantRuntime
    /// Stored API key hashes; empty means the tenant needs no key.
    public let apiKeyHashes: [String]
    public let maxConcurrentSessions: Int
    public let maxSessionsPerCaller: Int

    public init(runtime: TenantRuntime, apiKeyHashes: [String] = [], maxConcurrentSessions: Int = 1000, maxSessionsPerCaller: Int = 2) {
        self.runtime = runtime
        self.apiKeyHashes = apiKeyHashes
        self.maxConcurrentSessions = maxConcurrentSessions
        self.maxSessionsPerCaller = maxSessionsPerCaller
    }

    public var id: String { runtime.id }
}
