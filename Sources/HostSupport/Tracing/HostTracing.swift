import Tracing

/// The host's one door to tracing (docs/operations.md, "Telemetry"). The host's code speaks
/// swift-distributed-tracing's API through it; which SDK records the spans (swift-otel, exporting
/// over OTLP/HTTP) is chosen once by `serve`. Nothing is bootstrapped globally: the host's logging
/// and metrics stay its own, and tests may run several hosts in one process.
///
/// Spans are started and ended on the loop thread; the SDK's batch processor and exporter run on
/// their own tasks, so ending a span only queues it. When tracing is off every call returns nil
/// after one branch: no span, no allocation.
public final class HostTracing: Sendable {
    /// Tracing off (no `telemetry:` section).
    public static let disabled = HostTracing(tracer: nil)

    private let tracer: (any Tracer)?

    public init(tracer: (any Tracer)?) {
        self.tracer = tracer
    }

    public var isEnabled: Bool { tracer != nil }

    /// Starts a span under `parent` (nil: a new trace). Attributes set by `attributes` are there
    /// when the sampler decides.
    package func start(_ name: String, parent: TraceSpan?, kind: SpanKind = .internal,
                       attributes: (inout SpanAttributes) -> Void = { _ in }) -> TraceSpan? {
        guard let tracer else { return nil }
        return Self.open(tracer, name: name, context: parent?.context ?? .topLevel, kind: kind, attributes: attributes)
    }

    private static func open<T: Tracer>(_ tracer: T, name: String, context: ServiceContext, kind: SpanKind,
                                        attributes: (inout SpanAttributes) -> Void) -> TraceSpan {
        let span = tracer.startSpan(name, context: context, ofKind: kind)
        var values = SpanAttributes()
        attributes(&values)
        if !values.isEmpty { span.updateAttributes { $0.merge(values) } }
        return TraceSpan(span: span)
    }

    /// The W3C `traceparent` (and `tracestate`) headers that make a request's receiver join the
    /// trace of `context`; empty when tracing is off or the context carries no span.
    package func propagationHeaders(for context: ServiceContext?) -> [(String, String)] {
        guard let tracer, let context else { return [] }
        var carrier: [String: String] = [:]
        tracer.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Starts a span whose parent is remote: the W3C `traceparent` another host wrote (a chat
    /// checkpoint's); an unreadable one starts a new trace.
    /// nil: a new trace, as `start(_:parent: nil)`.
    package func start(_ name: String, remoteParent traceparent: String?, kind: SpanKind = .internal,
                       attributes: (inout SpanAttributes) -> Void = { _ in }) -> TraceSpan? {
        guard let tracer else { return nil }
        var context = ServiceContext.topLevel
        if let traceparent { tracer.extract(["traceparent": traceparent], into: &context, using: DictionaryExtractor()) }
        return Self.open(tracer, name: name, context: context, kind: kind, attributes: attributes)
    }

    /// The W3C `traceparent` of `span`, to be continued elsewhere (nil when tracing is off).
    package func traceparent(of span: TraceSpan?) -> String? {
        propagationHeaders(for: span?.context).first { $0.0 == "traceparent" }?.1
    }

    /// `propagationHeaders` for the ambient span (`TraceSpan.withCurrent`), if any.
    package func ambientPropagationHeaders() -> [(String, String)] {
        guard tracer != nil else { return [] }
        return propagationHeaders(for: ServiceContext.current)
    }
}

/// One started span, shared by the loop-thread code that owns the operation it measures.
package struct TraceSpan: Sendable {
    package let span: any Span

    package var context: ServiceContext { span.context }

    package func set(_ key: String, _ value: String) { span.attributes[key] = SpanAttribute.string(value) }
    package func set(_ key: String, _ value: Int) { span.attributes[key] = SpanAttribute.int64(Int64(value)) }
    package func set(_ key: String, _ value: Bool) { span.attributes[key] = SpanAttribute.bool(value) }
    package func set(_ key: String, _ values: [String]) { span.attributes[key] = SpanAttribute.stringArray(values) }

    /// Marks the span failed with a short, caller-text-free description.
    package func fail(_ description: String) {
        span.setStatus(SpanStatus(code: .error, message: description))
    }

    package func end() { span.end() }

    /// Runs `body` with this span as the ambient context (ServiceContext.current), so code the
    /// host calls synchronously — a plugin's tool making an HTTP request — can be joined to it.
    package static func withCurrent<R>(_ span: TraceSpan?, _ body: () throws -> R) rethrows -> R {
        guard let span else { return try body() }
        return try ServiceContext.withValue(span.context, operation: body)
    }
}

private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

/// The ambient trace context captured where work is handed to another process (an isolated
/// plugin's tool call) and restored where that process's requests come back — so a request the
/// runner makes on the call's behalf joins the call's span as an in-process plugin's does.
package struct AmbientTrace: Sendable {
    let context: ServiceContext

    /// The current ambient context, or nil when there is none (tracing off, or no span around).
    package static var current: AmbientTrace? { ServiceContext.current.map(AmbientTrace.init) }

    /// Runs `body` with `trace` as the ambient context (nil: as it is).
    package static func with<R>(_ trace: AmbientTrace?, _ body: () throws -> R) rethrows -> R {
        guard let trace else { return try body() }
        return try ServiceContext.withValue(trace.context, operation: body)
    }
}
