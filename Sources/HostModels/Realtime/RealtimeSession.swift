import Foundation
import HostAudio
import HostNet

/// A function call the model made; answer it with `RealtimeSession.sendFunctionOutput`.
public struct RealtimeFunctionCall: Sendable, Equatable {
    public let name: String
    public let callID: String
    public let argumentsJSON: String
}

/// What a session reports, on its loop thread. Every closure must return quickly.
public struct RealtimeHandlers: Sendable {
    /// The server accepted the first `session.update`: the model is listening.
    public var onReady: @Sendable () -> Void = {}
    /// Model speech to play, decoded to PCM16 at the format's rate (24 kHz, or 8 kHz for pcmu).
    public var onAudio: @Sendable (_ samples: [Int16], _ itemID: String) -> Void = { _, _ in }
    /// What the caller said (the server's transcription of a committed turn).
    public var onUserTranscript: @Sendable (String) -> Void = { _ in }
    /// What the model said, once per spoken item.
    public var onAgentTranscript: @Sendable (String) -> Void = { _ in }
    /// Server VAD: the caller started (barge-in while audio plays) or stopped speaking.
    public var onSpeechStarted: @Sendable (_ atMilliseconds: Int) -> Void = { _ in }
    public var onSpeechStopped: @Sendable (_ atMilliseconds: Int) -> Void = { _ in }
    public var onFunctionCall: @Sendable (RealtimeFunctionCall) -> Void = { _ in }
    /// A response finished: "completed", "cancelled" (barge-in), "incomplete" or "failed".
    public var onResponseDone: @Sendable (_ status: String) -> Void = { _ in }
    /// An `error` event: the server refused one of our events; the session goes on.
    public var onServerError: @Sendable (_ code: String?, _ message: String) -> Void = { _, _ in }
    /// The session is over without our asking (refused, hung, malformed, dropped): exactly once.
    public var onFailure: @Sendable (RealtimeFailure) -> Void = { _ in }

    public init() {}
}

/// One Realtime API conversation over our WebSocket client (TLS for `wss://`). Loop-confined:
/// handlers run on `loop`'s thread; the public methods may be called from any thread (they hop
/// to the loop) but are meant for it.
public final class RealtimeSession: @unchecked Sendable {
    // @unchecked: all mutable state is touched only on the loop thread (methods hop there).
    public let loop: EventLoop
    public let configuration: RealtimeConfiguration
    private let handlers: RealtimeHandlers
    private var instructions: String
    private var tools: [RealtimeTool]
    private var connection: WebSocketConnection?
    private var stallTimer: LoopTimer?
    private var ended = false
    private var ready = false
    /// Waiting on the server: for session.created/updated, or for a response to finish.
    private var awaitingSession = true
    private var responseInProgress = false
    /// Caller audio sent before the socket opened (at most `maxEarlyBytes`).
    private var early: [UInt8] = []
    private let maxEarlyBytes: Int
    /// The assistant item whose audio arrives last, and how many milliseconds of it arrived.
    public private(set) var playingItemID: String?
    private var receivedMilliseconds: [String: Int] = [:]
    /// Function calls by item, until their arguments are done (the name comes with the item).
    private var callNames: [String: String] = [:]

    public init(configuration: RealtimeConfiguration, loop: EventLoop, instructions: String, tools: [RealtimeTool],
                handlers: RealtimeHandlers) {
        self.configuration = configuration
        self.loop = loop
        self.instructions = instructions
        self.tools = tools
        self.handlers = handlers
        maxEarlyBytes = configuration.audioFormat.sampleRate * configuration.audioFormat.bytesPerSample * 2   // 2 s
    }

    // MARK: public

    /// Connects; `onReady` or `onFailure` follows.
    public func start() {
        onLoop { $0.connect() }
    }

    /// Caller audio, PCM16 at 24 kHz (format `pcm16`).
    public func appendAudio(_ samples: [Int16]) {
        precondition(configuration.audioFormat == .pcm16, "appendAudio(samples) needs the pcm16 format; use appendMuLaw")
        let bytes = PCM16.littleEndianBytes(samples)
        onLoop { $0.append(bytes) }
    }

    /// Caller audio as G.711 mu-law bytes at 8 kHz (format `pcmu`), passed through untouched.
    public func appendMuLaw(_ bytes: [UInt8]) {
        precondition(configuration.audioFormat == .pcmu, "appendMuLaw needs the pcmu format")
        onLoop { $0.append(bytes) }
    }

    /// Answers a function call, then asks for the model's next response.
    public func sendFunctionOutput(callID: String, output: String) {
        onLoop { session in
            session.send(RealtimeClientEvents.functionCallOutput(callID: callID, output: output))
            session.requestResponse()
        }
    }

    /// Barge-in: tells the server how much of `itemID`'s audio the caller heard, so the
    /// conversation keeps only that part.
    public func truncate(itemID: String, audioEndMilliseconds: Int) {
        onLoop { $0.send(RealtimeClientEvents.truncate(itemID: itemID, audioEndMilliseconds: audioEndMilliseconds)) }
    }

    /// Barge-in on whatever is playing: truncates the playing item at `playedMilliseconds`
    /// (capped at what arrived). Returns nothing to truncate silently.
    public func interrupt(playedMilliseconds: Int) {
        onLoop { session in
            guard let item = session.playingItemID else { return }
            let heard = min(max(playedMilliseconds, 0), session.receivedMilliseconds[item] ?? 0)
            session.send(RealtimeClientEvents.truncate(itemID: item, audioEndMilliseconds: heard))
            session.playingItemID = nil
        }
    }

    /// Handoff: new instructions and tools for the rest of the conversation.
    public func update(instructions: String, tools: [RealtimeTool]) {
        onLoop { session in
            session.instructions = instructions
            session.tools = tools
            session.sendSessionUpdate()
        }
    }

    /// Asks for a response now (after a handoff, so the new agent speaks).
    public func createResponse() {
        onLoop { $0.requestResponse() }
    }

    public func cancelResponse() {
        onLoop { $0.send(RealtimeClientEvents.responseCancel) }
    }

    /// Ends the session; no failure is reported for it.
    public func close() {
        onLoop { session in
            guard !session.ended else { return }
            session.ended = true
            session.stallTimer?.close()
            session.connection?.close(code: WebSocketCloseCode.normal, reason: "call ended")
        }
    }

    // MARK: loop thread

    private func onLoop(_ work: @escaping @Sendable (RealtimeSession) -> Void) {
        if loop.inLoopThread { work(self) } else { loop.execute { [self] in work(self) } }
    }

    private func connect() {
        var socket = WebSocketConfiguration(maxMessageBytes: 16 << 20, idleTimeoutMilliseconds: 0,
                                            handshakeTimeoutMilliseconds: configuration.connectTimeoutMilliseconds)
        socket.log = { _ in }
        let handler = WebSocketHandler(
            onOpen: { [self] connection in opened(connection) },
            onText: { [self] _, text in received(text) },
            onBinary: { [self] _, _ in fail(RealtimeFailure(kind: .malformedEvent, message: "a binary message (the Realtime API sends JSON text)")) },
            onClose: { [self] _, code, reason in closed(code: code, reason: reason) })
        armStallTimer()
        WebSocketClient.connect(configuration.connectURL, headers: ["Authorization": "Bearer \(configuration.apiKey)"], loop: loop,
                                configuration: socket, tls: configuration.tls, handler: handler) { [self] error in
            onLoop { $0.fail(Self.failure(from: error)) }
        }
    }

    private static func failure(from error: WebSocketClientError) -> RealtimeFailure {
        switch error.kind {
        case .tls: RealtimeFailure(kind: .tls, message: error.message)
        case .timeout: RealtimeFailure(kind: .handshakeTimeout, message: error.message)
        case .rejected: RealtimeFailure(kind: .rejected, message: error.message, status: error.status)
        default: RealtimeFailure(kind: .connect, message: error.description)
        }
    }

    private func opened(_ connection: WebSocketConnection) {
        guard !ended else { return connection.close() }
        self.connection = connection
        sendSessionUpdate()
        if !early.isEmpty {
            send(RealtimeClientEvents.appendAudio(early))
            early = []
        }
    }

    private func append(_ bytes: [UInt8]) {
        guard !ended else { return }
        guard connection != nil else {
            if early.count + bytes.count <= maxEarlyBytes { early += bytes }
            return
        }
        send(RealtimeClientEvents.appendAudio(bytes))
    }

    private func sendSessionUpdate() {
        awaitingSession = true
        armStallTimer()
        send(RealtimeClientEvents.sessionUpdate(instructions: instructions, tools: tools, configuration: configuration))
    }

    private func requestResponse() {
        responseInProgress = true
        armStallTimer()
        send(RealtimeClientEvents.responseCreate)
    }

    private func send(_ text: String) {
        guard !ended else { return }
        connection?.send(text: text)
    }

    private func received(_ text: String) {
        guard !ended else { return }
        let event: RealtimeServerEvent
        do {
            event = try RealtimeServerEvent.decode(text)
        } catch {
            return fail(RealtimeFailure(kind: .malformedEvent, message: error.reason))
        }
        handle(event)
        if awaitingSession || responseInProgress { armStallTimer() } else { stallTimer?.stop() }
    }

    private func handle(_ event: RealtimeServerEvent) {
        switch event {
        case .sessionCreated:
            break
        case .sessionUpdated:
            awaitingSession = false
            if !ready {
                ready = true
                handlers.onReady()
            }
        case let .speechStarted(at, _):
            handlers.onSpeechStarted(at)
        case let .speechStopped(at, _):
            responseInProgress = true   // server VAD creates the response
            handlers.onSpeechStopped(at)
        case .committed:
            break
        case let .inputTranscript(_, transcript):
            handlers.onUserTranscript(transcript)
        case .responseCreated:
            responseInProgress = true
        case let .outputItemAdded(itemID, type, name, _):
            if type == "function_call", let name { callNames[itemID] = name }
        case let .audioDelta(itemID, _, audio):
            playingItemID = itemID
            let format = configuration.audioFormat
            receivedMilliseconds[itemID, default: 0] += audio.count * 1000 / (format.sampleRate * format.bytesPerSample)
            handlers.onAudio(format == .pcm16 ? PCM16.samples(littleEndian: audio) : MuLaw.decode(audio), itemID)
        case .transcriptDelta:
            break
        case let .transcriptDone(_, transcript):
            handlers.onAgentTranscript(transcript)
        case let .functionCallArgumentsDone(itemID, callID, name, arguments):
            let name = name ?? callNames[itemID] ?? ""
            callNames[itemID] = nil
            handlers.onFunctionCall(RealtimeFunctionCall(name: name, callID: callID, argumentsJSON: arguments))
        case let .responseDone(_, status):
            responseInProgress = false
            handlers.onResponseDone(status)
        case .itemTruncated:
            break
        case let .error(_, code, message):
            handlers.onServerError(code, message)
        case .other:
            break
        }
    }

    private func closed(code: UInt16, reason: String) {
        connection = nil
        guard !ended else { return }
        let why = code == WebSocketCloseCode.abnormal ? "the connection dropped (\(reason))" : "the server closed the connection with \(code) \(reason)"
        fail(RealtimeFailure(kind: .dropped, message: why))
    }

    private func fail(_ failure: RealtimeFailure) {
        guard !ended else { return }
        ended = true
        stallTimer?.close()
        stallTimer = nil
        connection?.close(code: WebSocketCloseCode.normal, reason: "giving up: \(failure.kind)")
        handlers.onFailure(failure)
    }

    private func armStallTimer() {
        guard !ended else { return }
        let timer = stallTimer ?? LoopTimer(loop: loop)
        stallTimer = timer
        let limit = configuration.stallTimeoutMilliseconds
        timer.start(after: limit) { [weak self] in
            guard let self, self.connection != nil else { return }   // before open, the handshake timeout rules
            let waitingFor = self.awaitingSession ? "session.updated" : "the response"
            self.fail(RealtimeFailure(kind: .hang, message: "no server event for \(limit) ms while waiting for \(waitingFor)"))
        }
    }
}
