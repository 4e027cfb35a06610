import Dispatch
import Logging
import OTel
import ServiceLifecycle
import HostSupport
import Synchronization
import Tracing

/// swift-otel behind `HostTracing` for `serve` (docs/operations.md, "Telemetry"): a tracer with a
/// parent-based ratio sampler, a batch span processor and the OTLP/HTTP protobuf exporter, running
/// as Swift tasks of their own — never on the host's loop. Only traces: swift-otel's logging and
/// metrics backends are not made, and nothing is bootstrapped globally (the host keeps its one
/// Logger and one MetricsRegistry).
public final class OTelTracing: Sendable {
    public let tracing: HostTracing
    private let group: ServiceGroup
    private let running = Mutex<Task<Void, Never>?>(nil)
    private let stopped = DispatchSemaphore(value: 0)

    /// Builds the pipeline and starts its tasks.
    public init(_ settings: TelemetrySettings, logger: HostSupport.Logger = .shared) throws {
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.propagators = [.traceContext]
        configuration.diagnosticLogger = .custom(Logging.Logger(label: "otel") { _ in HostLogHandler(logger: logger) })
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        // Protobuf, the encoding every collector takes (the library's JSON writes ids in base64).
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.endpoint = settings.tracesURL
        configuration.traces.otlpExporter.timeout = .seconds(10)
        // Parent-based: a trace's root decides by ratio, its spans (and remote children) follow it.
        guard let sampler = OTel.Configuration.TracesConfiguration.SamplerConfiguration.parentBasedTraceIDRatio(ratio: settings.sampleRatio) else {
            throw TelemetryStartFailure(description: "telemetry.sample_ratio \(settings.sampleRatio) is not within 0…1")
        }
        configuration.traces.sampler = sampler
        configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(settings.exportIntervalMilliseconds)
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        tracing = HostTracing(tracer: tracer)
        group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service)], logger: Logging.Logger(label: "otel") { _ in HostLogHandler(logger: logger) }))
        let group = self.group
        let stopped = self.stopped
        running.withLock {
            $0 = Task.detached {
                do { try await group.run() } catch { logger.log(.warning, "telemetry", "trace exporter stopped: \(error)") }
                stopped.signal()
            }
        }
    }

    /// Sends what is queued and stops the exporter: waits at most `seconds`. Any thread but the loop's.
    public func shutdown(seconds: Double = 5) {
        guard running.withLock({ $0 }) != nil else { return }
        let group = self.group
        Task.detached { await group.triggerGracefulShutdown() }
        if stopped.wait(timeout: .now() + seconds) == .timedOut {
            running.withLock { $0?.cancel() }
        }
        running.withLock { $0 = nil }
    }
}

/// What `telemetry:` could not start with.
public struct TelemetryStartFailure: Error, CustomStringConvertible {
    public let description: String
}

/// swift-otel's own diagnostics (export failures, dropped spans) go to the host's one Logger.
private struct HostLogHandler: LogHandler {
    let logger: HostSupport.Logger
    var metadata: Logging.Logger.Metadata = [:]
    var logLevel: Logging.Logger.Level = .warning

    subscript(metadataKey key: String) -> Logging.Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level: HostSupport.Logger.Level = switch event.level {
        case .trace, .debug: .debug
        case .info, .notice: .info
        case .warning: .warning
        case .error, .critical: .error
        }
        logger.log(level, "telemetry", "\(event.message)")
    }
}
