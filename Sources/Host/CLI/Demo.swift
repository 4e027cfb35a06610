import Foundation
import HostPlugins
import HostTenancy

/// `agent-host demo`: the whole system on embedded defaults. Starts a redis-server on a free
/// loopback port unless `REDIS_URL` is set, starts the reference backend, serves the reference
/// plugins for a `demo` tenant, prints the URL and how to talk to it, and stops what it started
/// when the host drains (SIGINT/SIGTERM).
public struct Demo {
    public var port: Int
    public var pluginDirectory = PluginLoader.defaultDirectories().first ?? "."

    public init(port: Int) {
        self.port = port
    }

    public func run() throws(HostRunner.Failure) {
        let environmentRedis = ProcessInfo.processInfo.environment["REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
        var redis: RedisServerProcess?
        let backend: ReferenceBackendProcess
        do {
            if environmentRedis == nil { redis = try RedisServerProcess() }
            backend = try ReferenceBackendProcess(apiKey: "demo-key")
        } catch {
            redis?.stop()
            throw HostRunner.Failure(description: "\(error)", exitCode: 1)
        }
        defer {
            backend.stop()
            redis?.stop()
        }
        let redisURL = environmentRedis ?? redis?.url
        // The console's operator key for this run only: random, printed once, never written to disk.
        let consoleKey = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let journal = (NSTemporaryDirectory() as NSString).appendingPathComponent("agent-host-demo-journal-\(getpid()).log")
        let catalog = PluginLoader(directories: [pluginDirectory]).loadAll()
        let yaml = DemoConfiguration.yaml(port: port, redisURL: redisURL, backendURL: backend.url, backendKey: backend.apiKey,
                                          pluginDirectory: pluginDirectory, catalog: catalog, journalPath: journal,
                                          consoleKeyHash: APIKeys.hash(consoleKey))
        let configuration: HostConfiguration
        do {
            configuration = try HostConfiguration.parse(yaml, file: "<demo>")
        } catch {
            throw HostRunner.Failure(description: "the embedded demo configuration is invalid (a bug): \(error)", exitCode: 1)
        }
        var runner = HostRunner(configuration: configuration, persistence: SessionStores.make(configuration.redis)) { url in
            print("""
            agent-host demo is running at \(url)
              open in a browser:  \(url)/console/playground   (talk to the agent with your microphone)
                                  \(url)/console              (operators: live calls, history, plugins, charts)
              console key:        \(consoleKey)   (sign in with it; valid for this run only)
              tenant: demo (reference departments and tools), backend: \(backend.url), redis: \(redisURL ?? "none")
              talk to it:  agent-host chat --url \(url)
                           curl -s \(url)/v1/chat -d '{"caller":"+15551234567","text":"I need a refund for order ORD-12345"}'
              health:      curl -s \(url)/health     metrics: curl -s \(url)/metrics
            Ctrl-C drains and stops everything it started.
            """)
            fflush(nil)
        }
        runner.childrenToStop = { [redis] in
            backend.stop()
            redis?.stop()
        }
        try runner.run()
    }
}
