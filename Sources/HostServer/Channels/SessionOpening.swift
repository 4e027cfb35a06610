/// A socket's session while it opens and after: what the caller typed before it existed, and
/// whether the caller already left. The session is registered (and counts against the caller's
/// limit) from the handshake on, but exists only once the caller's earlier sessions are read
/// (≤ 500 ms): a socket that goes away in between must still end it, or it would live for ever.
///
/// A plain value with no I/O (the connection that owns it performs what it answers), so each
/// order of open, words and hang-up is tested without a socket (SessionOpeningTests).
struct SessionOpening {
    /// Messages kept for a session still opening.
    static let maxEarlyMessages = 32

    /// What the session must do now that it exists.
    enum Opened: Equatable {
        /// The caller is still there: these words go in, in order.
        case send([String])
        /// The caller left while it opened: it ends at once (`caller_hangup`).
        case end
    }

    /// What becomes of words the caller sent.
    enum Words: Equatable {
        /// The session is open: to it now.
        case send
        /// Kept until it opens.
        case kept
        /// Too many are waiting: the caller is told to send again in a moment.
        case refused
        /// The caller already left: dropped.
        case ignored
    }

    private var early: [String] = []
    /// The session exists.
    private(set) var isOpen = false
    /// The caller hung up or the socket went away.
    private(set) var gone = false

    /// The session exists: the early words go in — or it ends at once if the caller left.
    mutating func opened() -> Opened {
        isOpen = true
        if gone { return .end }
        defer { early.removeAll() }
        return .send(early)
    }

    /// The caller's words: to the open session, or kept until it opens.
    mutating func words(_ text: String) -> Words {
        guard !gone else { return .ignored }
        if isOpen { return .send }
        guard early.count < Self.maxEarlyMessages else { return .refused }
        early.append(text)
        return .kept
    }

    /// The caller hung up or the socket went away (the first time counts). True when the session
    /// is open and so is the owner's to end now, if it ends it itself (a voice call first finishes
    /// the utterance in progress); a session still opening ends when it opens.
    mutating func hangUp() -> Bool {
        guard !gone else { return false }
        gone = true
        early.removeAll()
        return isOpen
    }
}

extension ServerSession {
    /// Does what `SessionOpening.opened()` answered for this session, now that it exists.
    func perform(_ opened: SessionOpening.Opened) {
        switch opened {
        case .end: end(reason: "caller_hangup")
        case .send(let early): for words in early { send(words) }
        }
    }
}
