import HostNet
import HostSupport

extension HostTracing {
    /// Adds the ambient span's `traceparent` (set around a tool call, `TraceSpan.withCurrent`) to
    /// `headers`, replacing one the plugin set: the host's trace is the one its backend should join.
    /// An isolated plugin's request is made under its tool call's span again by the runner's host
    /// side (RunnerProcess+Extensions.swift); one a plugin makes later, from a thread of its own,
    /// carries none (there is no ambient span there).
    package func propagate(into headers: inout HTTPHeaders) {
        guard isEnabled else { return }
        for (name, value) in ambientPropagationHeaders() {
            headers[name] = value
        }
    }
}
