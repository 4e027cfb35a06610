/// A small thesaurus of customer-service vocabulary: near-synonyms share a group, which the
/// classifier sees as one extra feature, so "owe" helps like "balance" even when no training
/// example used it. Generic language knowledge, not routing rules: the weights are still learned.
public enum WordClasses {
    static let groups: [String: [String]] = [
        "money_owed": ["owe", "owed", "owing", "balance", "due", "outstanding", "overdue", "unpaid", "debt", "arrears", "amount"],
        "charge": ["charge", "charged", "charges", "charging", "bill", "billed", "billing", "bills", "invoice", "invoices",
                   "invoiced", "statement", "statements", "fee", "fees", "transaction", "transactions", "overcharged"],
        "payment": ["pay", "paid", "paying", "payment", "payments", "installment", "installments", "instalment", "instalments",
                    "autopay", "card", "visa", "mastercard"],
        "refund": ["refund", "refunds", "refunded", "refunding", "reimburse", "reimbursed", "reimbursement", "money", "return",
                   "returns", "returned", "returning", "back"],
        "damage": ["broken", "broke", "damaged", "damage", "cracked", "crack", "defective", "faulty", "dented", "scratched",
                   "scratches", "torn", "ripped", "leaks", "leaking", "shattered", "smashed", "malfunctioning"],
        "person": ["person", "human", "someone", "somebody", "agent", "representative", "rep", "operator", "manager",
                   "supervisor", "staff", "employee", "specialist", "people", "humans", "live", "real"],
        "greeting": ["hi", "hello", "hey", "hiya", "howdy", "morning", "afternoon", "evening", "greetings"],
        "shipping": ["ship", "shipping", "shipped", "delivery", "deliver", "delivered", "arrive", "arrives", "courier",
                     "tracking", "track", "postage", "dispatch"],
        "store": ["store", "stores", "shop", "shops", "location", "locations", "hours", "open", "opening", "close", "closing",
                  "address", "branch"],
        "login": ["password", "login", "log", "sign", "signin", "locked", "username", "reset"],
        "product": ["product", "products", "size", "sizes", "color", "colour", "stock", "warranty", "guarantee", "material",
                    "materials", "dimensions", "model", "specs"],
        "policy": ["policy", "policies", "rules", "terms", "conditions", "guidelines", "window"],
        "discount": ["promo", "coupon", "discount", "voucher", "code", "sale", "deal"],
    ]
    static let index: [String: String] = {
        var index: [String: String] = [:]
        for (group, words) in groups { for word in words where index[word] == nil { index[word] = group } }
        return index
    }()

    /// The group of a lowercase word, if it has one.
    public static func group(of word: String) -> String? { index[word] }
}
