/// Caller utterances every department shares, as classifier training data: asking for a person,
/// and small talk / unclear openers that do not yet say what the caller needs.
public enum CallerPhrases {
    /// Requests for a human: a person, agent, operator, manager, supervisor.
    public static let humanRequests: [String] = [
        "can I talk to a real person", "I want to speak to someone", "put me through to an operator", "representative", "operator",
        "I need a human being", "is there a person I can talk to", "can you get me a live agent", "speak to a representative please",
        "I don't want to talk to a robot", "stop, I want a person", "give me a real human", "I'd like to speak to customer service",
        "can you transfer my call to a staff member", "I demand to speak with a manager", "escalate this to a supervisor",
        "let me speak with somebody in charge", "connect me to a live representative", "I need to speak with an actual employee",
        "this bot isn't helping, get me a person", "a live person please", "can I be connected to a team member",
        "I'd like a callback from a real person", "is there a human I can talk to", "are you a robot? I want someone real",
        "get me someone who knows what they're doing", "I want to speak to the manager on duty", "can I have a word with a supervisor",
        "escalate this please", "I'd prefer to talk to a live agent", "real person", "speak to staff", "I need a human to look at this",
        "connect me with a specialist", "please let me talk to one of your people", "I want a person not a machine",
        "hand me over to someone real", "customer service representative please", "could a human call me back",
        "I'd rather not deal with an automated system", "could you put a human agent on the line", "let me speak to someone else",
        "I need real help from a person", "get me a manager now", "can someone call me", "I want to complain to a manager",
        "a representative, please", "talk to someone", "live agent",
    ]

    /// Greetings, fillers and requests too vague to route ("I need some help").
    public static let smallTalk: [String] = [
        "hi", "hello", "hi there", "good morning", "good afternoon", "yes", "no", "um", "hmm", "I have a question", "I need some help",
        "can you help me", "I have a problem", "I'm not sure who to talk to", "it's about my account", "thanks", "thank you",
        "what can you do", "is anyone there", "hello can you hear me", "sorry what", "uh I'm calling about something", "quick question",
        "I was wondering if you could help", "good evening", "hiya", "okay thanks", "one moment please", "hold on a second",
        "I need to sort something out", "I have an issue", "can I ask you something", "it's complicated", "where do I start", "help",
        "what are my options", "I called earlier", "I'm calling about my order", "something's wrong", "yeah hi",
        "who am I speaking with", "sure", "hey there", "hello?", "good day", "yeah", "right", "I don't know", "it's a long story",
        "please help", "are you there", "I've got a question for you", "not sure", "alright",
    ]
}
