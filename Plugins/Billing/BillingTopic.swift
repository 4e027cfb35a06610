import SupportKit

/// What a billing caller wants, recognised by a classifier trained on the examples below.
enum BillingTopic: String, CaseIterable, Sendable {
    case balance, invoices, charges, plan, dispute, accountChange

    static let examples: [BillingTopic: [String]] = [
        .balance: [
            "what's my balance", "how much do I owe", "what is the amount due", "is my account paid up",
            "do I have anything outstanding", "what's overdue on my account", "when is my payment due",
            "how much do I need to pay", "what do I owe you", "is anything unpaid", "my current balance please",
            "how much is left on my account",
        ],
        .invoices: [
            "show me my invoices", "what was on my last invoice", "read me my latest bill", "I need a copy of my invoice",
            "what did my last statement include", "when was I last invoiced", "explain my bill", "what's this line on my invoice",
            "my recent invoices", "how much was my last bill", "what am I billed for each month", "invoice details",
        ],
        .charges: [
            "I was charged twice", "what is this charge", "I don't recognize a charge", "recent charges on my card",
            "why did you take money from my account", "what have you charged me recently", "double charged",
            "there's a charge I don't understand", "why am I being charged", "a payment came out of my account",
            "what was the last charge", "charged two times for one order",
        ],
        .plan: [
            "set up a payment plan", "pay in installments", "spread the payments over a few months", "can I pay monthly",
            "I can't pay it all at once", "split my balance into payments", "payment arrangement", "pay it off over time",
            "installment plan for six months", "break the balance into monthly payments", "I need more time to pay",
            "can I pay a bit each month",
        ],
        .dispute: [
            "this charge is wrong, remove it", "I want this charge reversed", "I'm disputing this charge",
            "take this fee off my bill", "cancel this charge", "waive the late fee", "I'll report this to my bank",
            "I want a chargeback", "you need to refund this charge", "that charge is fraudulent", "I never authorized this",
            "remove the late fee",
        ],
        .accountChange: [
            "update my card", "change my payment method", "change my billing address", "switch my membership plan",
            "cancel my membership", "change my billing date", "upgrade my plan", "downgrade to basic",
            "use a different card", "stop my subscription", "update my email for invoices", "change the plan I am on",
        ],
    ]

    /// Trained once per process, by the first agent instance that reads it (its initialiser, on the
    /// host's main thread); every tenant's instance shares it.
    static let classifier = IntentClassifier(classes: allCases.map { (label: $0.rawValue, examples: examples[$0] ?? []) })

    static let threshold = 0.45
}
