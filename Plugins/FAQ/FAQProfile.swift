import AgentHostSDK

extension FAQAgent {
    static let profile = AgentProfile(
        handoffDescription: "General questions answered from the help center: shipping and delivery, store hours and locations, products, warranties, the return and refund policy, promo codes, gift cards and account login.",
        examples: routingExamples,
        instructions: """
            You are the FAQ Agent. You answer general questions about the company from the help center with \
            the search_faq tool (pass the caller's question as query, top_k 3).
            - Answer only from an article that matches the question: one or two short sentences from its \
            answer, and say which article it came from ("From our help article on shipping times: ..."). Never \
            invent policies, prices or dates.
            - When no article matches, say so and offer to connect the caller with a person; escalate to the \
            general queue if they accept.
            - Questions about the caller's own account (their bill or balance, their order, their refund) are \
            not yours: hand them back to the Triage Agent, which routes them.
            - A caller asking for a person is escalated to the general queue.
            - If the search fails, apologise briefly and offer a person.
            - Replies are read aloud: short, plain sentences, no lists or markdown, and end with a question \
            when you are waiting for the caller.
            """,
        tools: ["search_faq"])

    /// What callers say that belongs to the FAQ (the router trains on these).
    static let routingExamples: [String] = [
        "how long does shipping usually take", "how much is shipping", "do you ship internationally",
        "what are your store hours", "where is your nearest store", "how can I track my package",
        "can I buy a gift card for my sister", "how do I check my gift card balance",
        "what payment methods do you accept", "do you take paypal", "do you price match",
        "how do I reset my password", "I forgot my password", "I can't sign in to the website",
        "how do I cancel an order that hasn't shipped", "is the coffee grinder available in black",
        "what's the warranty on your furniture", "how do I make a warranty claim", "are you open on public holidays",
        "what time do you close today", "what's your phone number", "is there live chat on your website",
        "my promo code isn't working", "where do I enter a discount code", "how do I delete my account",
        "do you offer express delivery", "how much does express shipping cost", "do you deliver to the UK",
        "when will the standing desk be back in stock", "can I order something that's on backorder",
        "how much weight can the standing desk hold", "is the water bottle dishwasher safe",
        "what sizes does the yoga mat come in", "do you have a store in Seattle", "what's your address in Portland",
        "is shipping free over a certain amount", "my package says delivered but it's not here",
        "can I change the delivery address on my order", "how do exchanges work", "do you have a loyalty program",
        "what are the benefits of premium membership", "general question", "I have a quick question about a product",
        "what materials is the backpack made of", "are your products covered by a guarantee",
        "do I need to pay customs on international orders", "can I pick up my order in store",
        "what are your phone support hours", "what's your support email address",
        "is the blender good for crushing ice", "when do orders placed today ship", "do you have student discounts",
        "how do I create an account", "what countries do you deliver to", "how do I unsubscribe from your emails",
        "what's the shipping cost to Australia", "where can I find my tracking number", "can I use two promo codes",
        "do gift cards expire", "how do I change my password", "my account is locked",
        "do you sell replacement parts", "how tall does the desk go", "is the office chair adjustable",
        "can I order by phone", "what is premium membership", "do you ship on weekends",
        // Questions about the return and refund policy are answered from its article; a caller
        // asking for a refund or return of their own order is Refund's.
        "what's your returns policy", "can you explain your refund policy", "what does your return policy cover",
        "what's the refund policy on opened items", "what are the terms and conditions for returns",
        "how long is the return window", "is there a fee for returns", "do you have a money back guarantee",
        "I'd like to know your return policy", "where can I read the refund policy", "what's the policy on returns",
    ]
}
