import AgentHostSDK
import Foundation
import SupportKit

/// One billing step: what the caller answered or asked, identification, verification, the answer.
/// State between steps: customer_id, verified, failures, topic (the pending question), months,
/// awaiting (what the last reply asked for).
struct BillingConversation: DepartmentConversation {
    enum Awaiting: String {
        case customerID = "customer_id", lastFour = "last_four", months, planConfirm = "plan_confirm"
        case planOffer = "plan_offer", chargesCheck = "charges_check", anythingElse = "anything_else", offerHuman = "offer_human"
    }

    let turn: Turn
    let actions: AgentActions
    let cache: ClassifierCache
    let topics: IntentClassifier
    let text: String
    var state: ConversationState
    let awaiting: Awaiting?

    init(turn: Turn, actions: AgentActions, cache: ClassifierCache, topics: IntentClassifier) {
        self.turn = turn
        self.actions = actions
        self.cache = cache
        self.topics = topics
        (text, state, awaiting) = Self.opening(turn)
    }

    mutating func escalate(_ reply: String, reason: String) {
        actions.say(reply)
        actions.escalate(department: "billing", reason: reason)
        state.remove("awaiting", "topic", "months")
    }

    mutating func run() async {
        if handleYesNoFollowUp() { return }
        var lastFour: String?
        var answered = false
        switch awaiting {
        case .customerID:
            if let id = Slots.customerID(in: text, allowBareDigits: true) { state.set("customer_id", id); answered = true }
        case .lastFour:
            if let digits = Slots.digits(in: text) { lastFour = digits; answered = true }
        case .months:
            if let months = Slots.months(in: text) ?? Slots.number(in: text) { state.set("months", months); answered = true }
        case .planConfirm:
            answered = Affirmation.detect(in: text) != nil || Slots.months(in: text) != nil
        default:
            break
        }
        if !answered, state.string("customer_id") == nil, let id = Slots.customerID(in: text) {
            state.set("customer_id", id)
            answered = awaiting == .customerID
        }
        if !answered, await handleNewRequest() { return }

        guard let customerID = state.string("customer_id") else {
            let hint = awaiting == .customerID ? "You'll find it on your invoices. "
                : (turn.handedOffFrom != nil ? "I can help with that. " : "")
            return ask(hint + "What's your customer number? It starts with C U S T.", awaiting: .customerID)
        }
        guard let account = await fetchAccount(customerID) else { return }
        var prefix = ""
        if !state.bool("verified") {
            guard let lastFour else {
                return ask("Thanks. To verify your identity, what are the last four digits of the card on file?", awaiting: .lastFour)
            }
            guard lastFour.count == 4 else {
                return ask("I need all four of the last digits of the card on file. What are they?", awaiting: .lastFour)
            }
            guard lastFour == account.cardLastFour else {
                let failures = (state.int("failures") ?? 0) + 1
                state.set("failures", failures)
                if failures >= 2 {
                    return escalate("I'm sorry, I still couldn't verify your identity, so I'll connect you with our billing team.",
                                    reason: "identity verification failed")
                }
                return ask("That doesn't match the card on file. Could you check and tell me the last four digits again?", awaiting: .lastFour)
            }
            state.set("verified", true)
            state.remove("failures")
            prefix = "Thanks, you're verified. "
        }
        await answer(account, prefix: prefix)
    }

    /// Answers to "anything else?", "shall I connect you?", "would you like a plan?", "one you don't recognize?".
    mutating func handleYesNoFollowUp() -> Bool {
        guard let awaiting, let answer = Affirmation.detect(in: text), wordCount <= 8 else { return false }
        switch (awaiting, answer) {
        case (.offerHuman, .yes):
            escalate("Okay, I'll connect you with our billing team.", reason: "billing system unavailable")
        case (.anythingElse, .no):
            actions.say("Thanks for calling. Goodbye.")
            actions.endSession(reason: "resolved")
            state.remove("topic", "months")
        case (.anythingElse, .yes) where wordCount <= 4:
            ask(Closing.acknowledgement(text), awaiting: .anythingElse)
        case (.planOffer, .yes):
            state.set("topic", BillingTopic.plan.rawValue)
            return false
        case (.chargesCheck, .no):
            ask("Good. Is there anything else I can help with?", awaiting: .anythingElse)
        case (.chargesCheck, .yes):
            escalate("I'm sorry about that. I'll connect you with a billing specialist who can look into the charge.",
                     reason: "caller does not recognise a charge")
        case (.offerHuman, .no), (.planOffer, .no):
            ask("Okay. Is there anything else I can help with?", awaiting: .anythingElse)
        default:
            return false
        }
        return true
    }

    /// A request rather than an answer: a person, another department's business, a billing topic
    /// (disputes and account changes go to a billing specialist). True when this step is done.
    mutating func handleNewRequest() async -> Bool {
        if turn.handedOffFrom == nil {  // on the handoff step triage already judged this input
            let scope = await DepartmentScope.trained(ownExamples: BillingAgent.routingExamples,
                                                      ownDescription: BillingAgent.profile.handoffDescription, turn: turn, cache: cache)
            switch scope.decide(text) {
            case .human:
                escalate("Sure, I'll connect you with someone on our billing team.", reason: "caller asked for a person")
                return true
            case .elsewhere(_, let name, _):
                if let triage = turn.triageTarget {
                    actions.say("That's not something I can help with in billing, so let me pass you back to get you to the right team.")
                    actions.handoff(to: triage.id, reason: "not a billing request (\(name))")
                    state.remove("awaiting", "topic", "months")
                    return true
                }
            case .own, .smallTalk:
                break
            }
        }
        if let best = topics.best(text), best.probability >= BillingTopic.threshold, let topic = BillingTopic(rawValue: best.label) {
            switch topic {
            case .dispute:
                escalate("I'm sorry about that. I can't reverse or remove charges myself, so I'll connect you with a billing specialist who can review it.",
                         reason: "charge dispute")
                return true
            case .accountChange:
                escalate("I can't change that myself, so I'll connect you with a billing specialist who can.", reason: "account change request")
                return true
            default:
                if topic.rawValue != state.string("topic") { state.remove("months") }
                state.set("topic", topic.rawValue)
                return false
            }
        }
        return false  // an unclear answer: the steps below ask their question again
    }

    mutating func fetchAccount(_ customerID: String) async -> BillingAccount? {
        let result = await actions.callTool("check_billing", arguments: ["customer_id": .string(customerID)])
        switch ToolAnswer.decode(BillingAccount.self, from: result) {
        case .success(let account):
            return account
        case .notFound:
            state.remove("customer_id", "verified", "failures")
            ask("I couldn't find customer number \(Speech.spell(customerID)). Could you check it and tell me again?", awaiting: .customerID)
        case .refused(let refusal):
            ask("I'm sorry, I can't open that account right now: \(refusal.reason) Would you like me to connect you with a person?",
                awaiting: .offerHuman)
        case .failed:
            ask("I'm sorry, I can't reach our billing system right now. Would you like me to connect you with a person?", awaiting: .offerHuman)
        }
        return nil
    }
}

extension BillingConversation {
    /// The last four digits and the plan's confirmation are closed answers (a grammar in voice calls).
    static func speechExpectation(_ awaiting: Awaiting) -> ExpectedAnswer? {
        switch awaiting {
        case .lastFour: .digits()
        case .planConfirm: .yesNo
        default: nil
        }
    }
}
