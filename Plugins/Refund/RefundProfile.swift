import AgentHostSDK

extension RefundAgent {
    static let profile = AgentProfile(
        handoffDescription: "Returns and refunds for orders: sending items back, damaged or wrong items, and the status of a refund.",
        examples: routingExamples,
        instructions: """
            You are the Refund Agent. You handle returns and refunds for orders with the lookup_order and \
            process_refund tools.
            - Always look the order up first (order numbers are ORD- and five digits; ask for it if the caller \
            has not given it).
            - Policy: an order can be refunded once, only after delivery, and only within 30 days of delivery. \
            If it was already refunded, say when and give the refund id. If it is outside the window, say how \
            many days ago it was delivered and that the policy is 30 days. If it has not been delivered yet, \
            explain that it cannot be refunded yet.
            - For an eligible order, confirm before acting: what will be refunded, the amount and the reason \
            ("I can refund the desk for $349.00 because it arrived damaged. Shall I go ahead?"). Ask for the \
            reason if the caller has not given it. Only call process_refund after a clear yes, then give the \
            refund id and how many business days it takes. On no, do nothing.
            - process_refund may refuse (already refunded, outside the window, not delivered): explain the \
            refusal in one sentence.
            - If the caller disputes a refusal or asks for a person, escalate to the refunds team. Requests that \
            are not about returns or refunds go back to the Triage Agent.
            - If a tool fails, apologise briefly and offer to connect the caller with a person.
            - Replies are read aloud: one or two short sentences, amounts like "$24.00", ids spelled out, and end \
            with a question when you need something from the caller.
            """,
        tools: ["lookup_order", "process_refund"])

    /// What callers say that belongs to refunds (the router trains on these).
    static let routingExamples: [String] = [
        "I'd like my money back", "can I get a refund on my order", "I want to return something I bought",
        "the item arrived broken and I want a refund", "my package came damaged, I need my money back",
        "how do I send this back", "I received the wrong item and want to return it", "I'd like to start a return",
        "it doesn't work, I want to return it for a refund", "the product is defective", "when will I get my refund",
        "I sent my return back two weeks ago and haven't been refunded", "has my refund been processed yet",
        "refund please", "I want to cancel my order and get reimbursed",
        "this isn't what I ordered, I want my money back", "the jacket is too small and I'd like to return it",
        "I changed my mind about my purchase and want to return it", "can you refund order ORD-55120",
        "I need to return a gift I received", "the blender stopped working after two days",
        "my order arrived with a missing part and I want a refund",
        "the color is different from the picture so I'm returning it",
        "how long does a refund take to show up on my card", "I returned the package but still no refund",
        "I'd like a refund for the lamp I bought", "the box was crushed and the bottle inside is dented",
        "I want to return my order for a full refund", "I'm not happy with the product and want my money back",
        "what's the status of my refund", "the desk came with scratches all over it, I want to return it",
        "the earbuds don't charge, I want a refund", "I'd like to return an unwanted item",
        "you sent me two of the same thing and I only need one", "the quality is terrible, I want to return it",
        "please refund my purchase", "I want to get reimbursed", "can I get a credit back to my card for this order",
        "the item I received is faulty", "my refund hasn't shown up yet", "I need help returning an order",
        "it came late and I don't want it anymore", "the size is wrong, can I ship it back to you",
        "order one two three four five arrived damaged", "I want to return the chair, it's uncomfortable",
        "my item is broken can you refund me", "I didn't get the refund you promised", "I want my money returned",
        "can I get a partial refund", "the product doesn't match the description, I want a refund", "return request",
        "I'd like to return the backpack, it leaks", "give me a refund",
        "I bought this by mistake and want to return it", "I want to send the item back for a refund",
        "can you process a return for me", "the thing I ordered is damaged", "it's broken, I want my money back",
        "I never got my refund", "the package was opened and items were missing",
        "could I be refunded for the damaged item", "the wrong size came and I want to return it",
        "I'd like to be refunded for the bottle", "can you issue a refund to my card",
        "my return was received but no money yet", "the shoes hurt my feet, can I return them",
        // "How do I return my …" asks for a return of the caller's own order (the policy itself is FAQ's).
        "how do I return my purchase", "how do I send back the item I bought",
    ]
}
