import AgentHostSDK

extension BillingAgent {
    static let profile = AgentProfile(
        handoffDescription: "Account balances, invoices, charges on the account or card, payments and payment plans.",
        examples: routingExamples,
        instructions: """
            You are the Billing Agent. You help callers with their account balance, invoices, recent charges \
            and payment plans, using the check_billing and create_payment_plan tools.
            - Verify the caller before reading anything from the account: get the customer number (CUST- and \
            four digits), call check_billing, then ask for the last four digits of the card on file and compare \
            them with payment_method. Never read the card digits out. After two failed attempts, escalate to \
            the billing team.
            - Remember what the caller first asked and answer it once they are verified.
            - Balance: read the amount and whether any of it is open or overdue. Invoices: the latest few, \
            briefly. Charges: the recent ones; two identical charges close together look like a duplicate and \
            go to a billing specialist.
            - Payment plans: 2 to 12 months. Ask for the number of months if not given, tell the caller the \
            monthly amount, and only call create_payment_plan after they say yes; then read back the plan id, \
            the monthly amount and the first payment date.
            - You cannot reverse, remove or dispute charges, or change payment details: escalate those to the \
            billing team. Requests that are not about billing (refunds and returns, general questions) go back \
            to the Triage Agent. A caller asking for a person is escalated to billing.
            - If a tool fails, apologise briefly and offer to connect the caller with a person.
            - Replies are read aloud: one or two short sentences, amounts like "$24.00", no lists or markdown, \
            and end with a question when you need something from the caller.
            """,
        tools: ["check_billing", "create_payment_plan"])

    /// What callers say that belongs to billing (the router trains on these).
    static let routingExamples: [String] = [
        "how much do I owe right now", "can you tell me what my current balance is",
        "I got charged twice for the same thing", "there's a charge on my card I don't recognize",
        "why is my bill higher than usual this month", "I need a copy of my latest invoice",
        "can I pay off my balance in installments", "I'd like to set up a payment plan",
        "when is my next payment due", "I want to update the credit card on file", "my payment didn't go through",
        "I was overcharged on my last statement", "what is this fee for", "can you explain my invoice",
        "I think there's a mistake on my bill", "do I have any overdue invoices",
        "I can't afford to pay the full amount this month", "can I spread the payments over a few months",
        "is my account paid up", "I paid last week but it still shows as unpaid",
        "my membership fee went up without notice", "why did you charge me for a subscription I cancelled",
        "there's a nineteen ninety nine charge on my statement", "billing question",
        "got a question on my latest bill", "how much is my monthly membership", "can I change my billing date",
        "I want to change my plan from premium to basic", "there's a late fee and I want to know why",
        "I need to make a payment on my account", "can I pay my bill over the phone",
        "what card do you have on file for me", "my autopay isn't working", "I was double charged",
        "you took money from my account twice", "the amount on my invoice doesn't match what I expected",
        "I need an itemized statement for my accountant", "what am I being billed for",
        "I don't recognize this transaction", "my bank shows a pending charge from you",
        "I'd like to dispute a charge", "could you email me proof that I paid", "can I get a payment extension",
        "I'm behind on my payments", "what's the outstanding amount on my account",
        "can you break down the charges on my last invoice", "why is there an express shipping upgrade on my bill",
        "I need to sort out my account balance", "I'd like to pay in monthly installments instead",
        "there's a charge on my credit card statement from your company", "my invoice says overdue but I paid it",
        "how do I pay an open invoice", "is there interest if I pay over time", "can you take a payment today",
        "the charges on my account don't add up", "how much have I been charged this year",
        "can I switch the card you bill", "when will my next invoice be issued", "what do I owe you",
        "what's my balance due", "how much is left to pay on my account", "the total on my statement seems too high",
        "my last bill had an extra fee", "I want to pay what I owe in smaller chunks",
        "can you waive the late charge", "is my payment overdue", "I need to check the balance before I pay",
        "you charged my card without asking", "I'd like to set up automatic payments",
        "what did my last invoice include",
    ]
}
