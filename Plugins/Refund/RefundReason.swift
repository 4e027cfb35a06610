import SupportKit

/// Why the caller wants a refund, as a short phrase for the confirmation ("because it arrived
/// damaged"), recognised by a classifier; "none" means the caller has not said.
enum RefundReason: String, CaseIterable, Sendable {
    case damaged, defective, wrongItem, fit, changedMind, notAsDescribed, missingParts, late, none

    var phrase: String {
        switch self {
        case .damaged: return "it arrived damaged"
        case .defective: return "it isn't working properly"
        case .wrongItem: return "you received the wrong item"
        case .fit: return "it doesn't fit"
        case .changedMind: return "you no longer need it"
        case .notAsDescribed: return "it isn't as described"
        case .missingParts: return "parts were missing"
        case .late: return "it arrived late"
        case .none: return ""
        }
    }

    static let examples: [RefundReason: [String]] = [
        .damaged: ["it arrived damaged", "the box was crushed", "it's cracked", "it came broken", "shattered in the box",
                   "it's dented", "it arrived scratched", "the glass was smashed", "it was torn when it came", "damaged in shipping",
                   "arrived cracked", "the corner is chipped", "broken on arrival", "the packaging was ripped and it's bent"],
        .defective: ["it doesn't work", "it stopped working", "it won't turn on", "it's faulty", "it's defective",
                     "the battery won't charge", "it leaks", "it broke after a week", "the motor died", "it keeps malfunctioning",
                     "it flickers", "makes a weird noise", "won't connect", "the zipper broke"],
        .wrongItem: ["you sent the wrong item", "this isn't what I ordered", "wrong color", "I got someone else's order",
                     "the wrong model arrived", "it's a different product", "you sent me the wrong one", "not the item I bought"],
        .fit: ["it doesn't fit", "it's too small", "it's too big", "wrong size", "too tight", "too large for my space",
               "the size is off", "it doesn't fit my desk", "too short for me"],
        .changedMind: ["I changed my mind", "I don't need it anymore", "I bought it by mistake", "I found it cheaper",
                       "I don't like it", "I no longer want it", "ordered it twice by accident", "I don't want it"],
        .notAsDescribed: ["not as described", "it looks different from the picture", "the quality is poor",
                          "it's not what the website said", "cheaper material than advertised", "the color is off from the photos"],
        .missingParts: ["parts are missing", "it came without the charger", "the screws were missing", "missing pieces",
                        "only one of the two arrived", "the lid was missing"],
        .late: ["it arrived too late", "it came after I needed it", "delivery took too long", "it was late for the event",
                "it arrived weeks late", "it came too late to use"],
        .none: ["I want a refund", "refund my order", "can I get my money back", "I'd like to return order 12345",
                "refund please", "I want to return something", "please process a refund", "I need a refund for an order",
                "start a return", "order number one two three four five", "yes", "hi", "my order", "a refund for order",
                "I want my money back", "can you refund it", "I'd like to send it back", "for my order please",
                "it's order 12345", "refund order 12345", "I need to return the item", "get a refund on it", "the order",
                "I bought a desk", "the backpack from my order", "can you help me", "I would like a refund please",
                "my money back for the item", "want to return my purchase", "the item from order ORD-12345"],
    ]

    /// Trained once per process, by the first agent instance that reads it (its initialiser, on the
    /// host's main thread); every tenant's instance shares it.
    static let classifier = IntentClassifier(classes: allCases.map { (label: $0.rawValue, examples: examples[$0] ?? []) })

    static let threshold = 0.5
}

/// After a refusal: does the caller push back (dispute it, ask for someone) or accept it?
enum RefusalResponse: String, CaseIterable, Sendable {
    case pushback, accept, other

    static let examples: [RefusalResponse: [String]] = [
        .pushback: ["that's not fair", "but it's broken", "that's ridiculous", "I don't accept that", "can you make an exception",
                    "I want to speak to someone about this", "this is unacceptable", "but I only just opened it",
                    "come on, it's only a few days over", "I want to dispute that", "I've been a customer for years",
                    "that's not right", "but it never worked", "I want to complain", "you have to do something",
                    "I'm not happy with that", "there must be something you can do", "it's not my fault it was late",
                    "I'll take this further", "that can't be right", "I want a manager", "no way, I want my money"],
        .accept: ["okay I understand", "fine", "alright then", "okay thanks anyway", "that's fair", "no worries", "I see",
                  "makes sense", "oh okay", "thanks for checking", "no that's all", "never mind then", "got it", "okay bye",
                  "understood", "fair enough", "I guess that's it", "that's okay", "alright thank you"],
        .other: ["what about my other order", "can you check another order", "I have a different question",
                 "what's the status of my other refund", "can I return something else", "I also have a billing question",
                 "how long does shipping take", "what about order 12345", "while I have you, my balance",
                 "can you look up a different order", "I want to return a different item"],
    ]

    /// Trained once per process, by the first agent instance that reads it (its initialiser, on the
    /// host's main thread); every tenant's instance shares it.
    static let classifier = IntentClassifier(classes: allCases.map { (label: $0.rawValue, examples: examples[$0] ?? []) })
}
