import AgentHostSDK
import Foundation

/// The shape of one department step: the caller's words, the agent's scratch state, and the
/// question the agent was waiting on an answer to (kept in state under "awaiting").
public protocol DepartmentConversation {
    associatedtype Awaiting: RawRepresentable where Awaiting.RawValue == String
    /// What a question awaiting `awaiting` expects the caller to say, for the host's recogniser
    /// (told through the voice-hint extension, docs/abi.md; nil for open answers).
    static func speechExpectation(_ awaiting: Awaiting) -> ExpectedAnswer?
    var actions: AgentActions { get }
    var text: String { get }
    var state: ConversationState { get set }
}

extension DepartmentConversation {
    /// The step's starting point: trimmed input, the state with the pending question taken out
    /// (so a step that asks nothing new leaves nothing pending), and that pending question.
    public static func opening(_ turn: Turn) -> (text: String, state: ConversationState, awaiting: Awaiting?) {
        var state = ConversationState(turn.state)
        let awaiting = state.string("awaiting").flatMap(Awaiting.init(rawValue:))
        state.remove("awaiting")
        state.remove("expect")  // written by builds before the voice-hint extension
        return (turn.input.trimmingWhitespace(), state, awaiting)
    }

    public static func speechExpectation(_ awaiting: Awaiting) -> ExpectedAnswer? { nil }

    public var wordCount: Int { TextNormalizer.words(text).count }

    /// Says `reply` and remembers what the agent now waits for.
    public mutating func ask(_ reply: String, awaiting next: Awaiting?) {
        actions.say(reply)
        state.set("awaiting", next?.rawValue)
        actions.expect(next.flatMap(Self.speechExpectation) ?? .text)
    }
}
