import AgentHostSDK
import Foundation
import SupportKit

/// One refund step. State between steps: order_id, reason (a phrase for the confirmation),
/// reason_detail (the caller's words), amount, partial, refused (the policy code of a refusal
/// just given), refusal + refusal_count (which refusal was given, "ORD-45045 outside_window", and
/// how many times), awaiting (what the last reply asked for).
struct RefundConversation: DepartmentConversation {
    enum Awaiting: String {
        case orderID = "order_id", reason, confirm, anythingElse = "anything_else", offerHuman = "offer_human"
        /// After a repeated refusal: a person to review it?
        case offerReview = "offer_review"
    }

    let turn: Turn
    let actions: AgentActions
    let cache: ClassifierCache
    let reasons: IntentClassifier
    let refusals: IntentClassifier
    let text: String
    var state: ConversationState
    let awaiting: Awaiting?

    init(turn: Turn, actions: AgentActions, cache: ClassifierCache, reasons: IntentClassifier, refusals: IntentClassifier) {
        self.turn = turn
        self.actions = actions
        self.cache = cache
        self.reasons = reasons
        self.refusals = refusals
        (text, state, awaiting) = Self.opening(turn)
    }

    mutating func escalate(_ reply: String, reason: String) {
        actions.say(reply)
        actions.escalate(department: "refunds", reason: reason)
        state.remove("awaiting", "refused", "reason", "reason_detail", "amount", "partial")
    }

    mutating func run() async {
        let mentioned = Slots.orderID(in: text, allowBareDigits: awaiting == .orderID)
        if let mentioned, let current = state.string("order_id"), mentioned != current {
            state = ConversationState(nil)  // a different order: start over
        }
        if let mentioned { state.set("order_id", mentioned) }
        let affirmation = Affirmation.detect(in: text)
        if mentioned == nil, await handleRequest(affirmation: affirmation) { return }
        if handleYesNoFollowUp(affirmation) { return }

        let reasonNow = detectReason()
        if let reasonNow {
            state.set("reason", reasonNow.phrase)
            state.set("reason_detail", text)
        } else if awaiting == .reason, mentioned == nil {
            state.remove("reason")
            state.set("reason_detail", text)
        }
        guard let orderID = state.string("order_id") ?? turn.callerTexts.reversed().lazy.compactMap({ Slots.orderID(in: $0) }).first else {
            return ask(awaiting == .orderID
                ? "I didn't catch a five-digit order number. Could you say it again? It starts with O R D."
                : "Sure, I can help with that. What's the order number? It starts with O R D.", awaiting: .orderID)
        }
        state.set("order_id", orderID)
        if awaiting == .confirm, mentioned == nil, affirmation == .yes {
            return await issueRefund(orderID)
        }
        guard let order = await lookup(orderID) else { return }
        // "No, just the bottles" corrects what to refund; any other no means no refund.
        if awaiting == .confirm, reasonNow == nil, mentioned == nil, affirmation == .no, order.item(mentionedIn: [text]) == nil {
            state.remove("reason", "reason_detail", "amount", "partial")
            return ask("Okay, I won't process the refund. Is there anything else I can help with?", awaiting: .anythingElse)
        }
        if refuseByPolicy(order) { return }
        guard state.string("reason") != nil || state.string("reason_detail") != nil else {
            return ask("I can help with a refund for \(order.spoken). Could you tell me briefly what went wrong with it?", awaiting: .reason)
        }
        let item = order.item(mentionedIn: turn.callerTexts)
        let amount = item.map { $0.unitPrice * Double($0.quantity) } ?? order.total
        let what = item.map(Order.describe) ?? (order.items.count == 1 ? Order.describe(order.items[0]) : order.spoken)
        let because = state.string("reason").map { "because \($0)" } ?? "for the reason you gave"
        state.set("amount", amount)
        state.set("partial", item != nil && abs(amount - order.total) > 0.004)
        ask("I can refund \(what) for \(order.money(amount)) \(because). Shall I go ahead?", awaiting: .confirm)
    }

    /// A refusal being disputed, a person asked for, another department's business. True when done.
    mutating func handleRequest(affirmation: Affirmation?) async -> Bool {
        let answering = (awaiting == .confirm && affirmation != nil) || awaiting == .reason
        let decision: DepartmentScope.Decision
        if turn.handedOffFrom == nil && !answering {
            decision = await DepartmentScope.trained(ownExamples: RefundAgent.routingExamples,
                                                     ownDescription: RefundAgent.profile.handoffDescription, turn: turn, cache: cache).decide(text)
        } else {
            decision = .own
        }
        let refused = state.string("refused")
        state.remove("refused")
        if case .human = decision {
            escalate(refused == nil ? "Sure, I'll connect you with someone on our refunds team."
                                    : "I understand. I'll connect you with our refunds team so a person can review it.",
                     reason: refused == nil ? "caller asked for a person" : "disputed refusal")
            return true
        }
        if case .elsewhere(_, let name, _) = decision, let triage = turn.triageTarget {
            actions.say("That's not something I can help with in refunds, so let me pass you back to get you to the right team.")
            actions.handoff(to: triage.id, reason: "not a refund request (\(name))")
            state.remove("awaiting")
            return true
        }
        if refused != nil {
            if let best = refusals.best(text), best.label == RefusalResponse.pushback.rawValue, best.probability >= 0.5 {
                escalate("I understand. I'll connect you with our refunds team so a person can review it.", reason: "disputed refusal")
                return true
            }
        }
        return false
    }

    mutating func handleYesNoFollowUp(_ affirmation: Affirmation?) -> Bool {
        guard let awaiting, let affirmation, wordCount <= 8 else { return false }
        switch (awaiting, affirmation) {
        case (.offerHuman, .yes):
            escalate("Okay, I'll connect you with our refunds team.", reason: "refund system unavailable")
        case (.offerReview, .yes):
            escalate("Okay, I'll connect you with our refunds team so a person can review it.", reason: "caller asked for a review of a refused refund")
        case (.anythingElse, .no):
            actions.say("Thanks for calling. Goodbye.")
            actions.endSession(reason: "resolved")
        case (.anythingElse, .yes) where wordCount <= 4:
            state.remove("order_id")
            ask(Closing.acknowledgement(text), awaiting: .anythingElse)
        case (.offerHuman, .no), (.offerReview, .no):
            ask("Okay. Is there anything else I can help with?", awaiting: .anythingElse)
        default:
            return false
        }
        return true
    }

    func detectReason() -> RefundReason? {
        guard let best = reasons.strongestMention(in: text, excluding: RefundReason.none.rawValue),
              best.probability >= RefundReason.threshold else { return nil }
        return RefundReason(rawValue: best.label)
    }
}

extension RefundConversation {
    /// Order numbers and the go-ahead are closed answers: a voice call decodes them with a grammar.
    static func speechExpectation(_ awaiting: Awaiting) -> ExpectedAnswer? {
        switch awaiting {
        case .orderID: .orderID()
        case .confirm: .yesNo
        default: nil
        }
    }
}
