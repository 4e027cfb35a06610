import HostSpeech

/// What a support tenant's plugins ship for the language model: routing examples, FAQ
/// questions and vocabulary, in writing (ids, amounts and digits included), as a tenant would
/// write them. The recognition test sentences are deliberately NOT among them verbatim.
enum SupportPhrases {
    static let refunds = [
        "I'd like my money back", "can I get a refund on my order", "I want to return something I bought",
        "the item arrived broken and I want a refund", "my package came damaged, I need my money back",
        "how do I send this back", "I received the wrong item and want to return it", "I'd like to start a return",
        "when will I get my refund", "has my refund been processed yet", "refund please",
        "I want to cancel my order and get a refund", "this isn't what I ordered", "can you refund order ORD-55120",
        "I need to return a gift", "my order ORD-20431 arrived with a missing part",
        "how long does a refund take to show up on my card", "I returned the package but still no refund",
        "I'd like a refund for the lamp I bought", "I want to return my order for a full refund",
        "the refund for order ORD-81766 never came", "please refund my last order",
        "I need a refund, the product is defective", "order number ORD-30952 was damaged",
        "it's order ORD-47218", "my order number is ORD-69034", "I need to return order 40213",
        "the refund for order 77180 hasn't arrived", "order 96521 came broken",
    ]

    static let billing = [
        "what is the balance on my account", "how much do I owe", "check my balance please",
        "I was charged twice this month", "there is a charge I don't recognize", "why is my bill so high",
        "can I pay my bill now", "I want to update my credit card", "when is my payment due",
        "can you explain this charge on my statement", "I need a copy of my invoice",
        "my account balance looks wrong", "what's the balance due on my account", "I'd like to set up autopay",
        "can I change my billing address", "I paid $24.00 but it still says I owe money",
        "what is my current balance", "cancel my subscription", "how do I cancel my plan",
        "I want to upgrade my plan", "is there a late fee",
    ]

    static let shipping = [
        "where is my package", "where is my order", "how much is shipping", "what are your shipping options",
        "how long will delivery take", "when will my order arrive", "do you offer free shipping",
        "can I track my order", "my package hasn't arrived yet", "can I change my delivery address",
        "do you ship internationally", "how long does it take to ship to Canada", "is express shipping available",
        "my tracking number doesn't work", "the shipping is taking too long", "does shipping take long",
        "how many days does delivery take", "can you ship it faster",
    ]

    static let agent = [
        "I want to speak to a human", "can I talk to a real person", "let me speak with an agent",
        "get me a representative", "transfer me to someone", "I need to talk to a manager",
        "connect me with customer service", "is there a person I can talk to", "operator",
        "I'd like to talk to someone please", "put me through to a person",
    ]

    static let account = [
        "I forgot my password", "how do I reset my password", "I can't log in to my account",
        "I want to change my email address", "update my phone number", "close my account",
        "my account is locked", "how do I change my username", "I never got the verification code",
    ]

    static let faq = [
        "what are your store hours", "are you open on Sunday", "what time do you close today",
        "what is your return policy", "how many days do I have to return an item", "do you have a warranty",
        "where is your nearest store", "do you price match", "can I use a coupon", "do you sell gift cards",
        "how do I contact support", "what payment methods do you accept",
    ]

    static let smallTalk = [
        "yes", "no", "yes please", "no thanks", "that's right", "that's all", "thank you", "thanks for your help",
        "hello", "hi there", "goodbye", "okay", "sure", "I need help", "I have a question", "can you help me",
        "I need help with my order", "I have a question about my account",
    ]

    static let all = refunds + billing + shipping + agent + account + faq + smallTalk

    /// Test utterances: what callers say (spoken forms) and the words that must come through.
    static let testUtterances: [(text: String, keywords: [String])] = [
        ("I need a refund for order one two three four five", ["refund", "order"]),
        ("what's my account balance", ["balance"]),
        ("let me talk to a person", ["person"]),
        ("how long does shipping take", ["shipping"]),
        ("I want to cancel my subscription", ["cancel"]),
        ("I still have not received my package", ["package"]),
        ("I was charged twice for my order", ["charged", "twice"]),
        ("can I change my password", ["password"]),
        ("what time do you open on Sunday", ["sunday"]),
        ("my order arrived damaged", ["damaged"]),
    ]
}
