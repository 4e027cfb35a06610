import HostOrchestration

/// What a voice call needs from the session it serves (the server's `ServerSession` conforms).
/// Declared here so a call never names the server layer above it (docs/architecture.md).
/// Loop-confined like the calls that hold it.
package protocol CallSession: AnyObject, Sendable {
    var id: String { get }
    var caller: String { get }
    var conversation: Conversation? { get }
    func send(_ text: String)
    func end(reason: String)
}
