// The FAQ Agent: answers general questions from the help center (search_faq), citing the article
// it answers from; offers a person when nothing matches; sends account-specific questions back
// to triage.
import AgentHostSDK
import Foundation
import SupportKit

@_cdecl("agent_host_plugin_entry")
public func agentHostPluginEntry() -> UnsafeRawPointer {
    PluginExport.entry([FAQAgent.self])
}

struct FAQAgent: Agent {
    static let id = "com.agenthost.support.faq"
    static let displayName = "FAQ Agent"
    static let version = "1.0.0"
    static let description = "Answers general questions from the help center: shipping, stores, products, promotions and account access."

    /// Share of the question's content words an article must contain to count as an answer.
    static let minimumCoverage = 0.5

    let cache = ClassifierCache()

    init(host: PluginHost, settings: PluginSettings) {}

    struct SearchResults: Decodable, Sendable {
        struct Entry: Decodable, Sendable {
            let id: String
            let question: String
            let answer: String
            let score: Double?
        }

        let results: [Entry]
    }

    func respond(to turn: Turn, with actions: AgentActions) async throws {
        if CutOffCall.resume(turn, agentName: Self.displayName, actions: actions) { return }
        let text = turn.input.trimmingWhitespace()
        var state = ConversationState(turn.state)
        let awaiting = state.string("awaiting")
        state.remove("awaiting")
        func ask(_ reply: String, awaiting next: String?) {
            actions.say(reply)
            state.set("awaiting", next)
            actions.setState(state.json)
        }
        let affirmation = Affirmation.detect(in: text)
        let short = TextNormalizer.words(text).count <= 8
        switch (awaiting, affirmation) {
        case ("offer_human", .yes?) where short:
            actions.say("Okay, I'll connect you with a member of our team.")
            actions.escalate(department: "general", reason: "no help article answered the caller's question")
            return actions.setState([:])
        case ("offer_human", .no?) where short:
            return ask("Alright. Is there anything else I can help with?", awaiting: "anything_else")
        case ("anything_else", .no?) where short:
            actions.say("Thanks for calling. Goodbye.")
            actions.endSession(reason: "resolved")
            return actions.setState([:])
        case ("anything_else", .yes?) where TextNormalizer.words(text).count <= 4:
            return ask(Closing.acknowledgement(text), awaiting: "anything_else")
        default:
            break
        }

        let scope = await DepartmentScope.trained(ownExamples: Self.routingExamples, ownDescription: Self.profile.handoffDescription,
                                                  turn: turn, cache: cache)
        switch scope.decide(text) {
        case .human:
            actions.say("Sure, I'll connect you with a member of our team.")
            actions.escalate(department: "general", reason: "caller asked for a person")
            return actions.setState([:])
        case .elsewhere(let targetID, let name, _) where targetID != turn.handedOffFrom?.id:
            // Also on the step right after a handoff: triage then skips this agent, so no loop.
            if let triage = turn.triageTarget {
                actions.say("That's about your own account, so let me pass you back to get you to the right team.")
                actions.handoff(to: triage.id, reason: "account-specific question (\(name))")
                return actions.setState([:])
            }
        default:
            break
        }
        guard !TextMatch.contentStems(text).isEmpty else {
            return ask("Sure, what would you like to know?", awaiting: nil)
        }

        let result = await actions.callTool("search_faq", arguments: ["query": .string(text), "top_k": 3])
        switch ToolAnswer.decode(SearchResults.self, from: result) {
        case .success(let search):
            if let entry = search.results.first(where: { Self.answers(text, $0) }) {
                state.set("last_article", entry.id)
                return ask(Self.citedAnswer(entry) + " Is there anything else I can help with?", awaiting: "anything_else")
            }
            ask("I'm sorry, I couldn't find an answer to that in our help articles. Would you like me to connect you with a person?",
                awaiting: "offer_human")
        case .refused, .notFound, .failed:
            ask("I'm sorry, I can't reach our help articles right now. Would you like me to connect you with a person?",
                awaiting: "offer_human")
        }
    }

    /// Whether the article covers enough of what was asked (the search may return loose matches).
    static func answers(_ question: String, _ entry: SearchResults.Entry) -> Bool {
        let document = entry.question + " " + entry.answer + " " + entry.id.replacingOccurrences(of: "-", with: " ")
        let coverage = TextMatch.coverage(of: question, in: document)
        return coverage.matched >= 1 && coverage.fraction >= minimumCoverage
    }

    /// "From our help article on shipping times (shipping-times): Standard shipping takes 3 to 5…"
    static func citedAnswer(_ entry: SearchResults.Entry) -> String {
        let short = entry.id.hasPrefix("faq-") ? String(entry.id.dropFirst(4)) : entry.id
        let topic = short.replacingOccurrences(of: "-", with: " ")
        let answer = Speech.firstSentences(Speech.speakable(entry.answer), limit: 170)
        return "From our help article on \(topic) (\(short)): \(answer)"
    }
}
