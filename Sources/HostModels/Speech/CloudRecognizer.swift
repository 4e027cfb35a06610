import Dispatch
import Foundation
import HostAudio
import HostNet
import HostSpeech

/// Speech to text through an OpenAI-compatible `POST /v1/audio/transcriptions` (multipart: a WAV
/// of the utterance, `model`, `language`, and a `prompt` of expected words while a closed-prompt
/// grammar is active). The service transcribes whole utterances, so audio is collected until
/// `finish` and sent then.
///
/// Threading (the `RecognitionSession` contract): every method returns at once; the work runs on
/// the session's serial queue in call order and callbacks run there. The upload runs on the
/// host's loop through `HTTPClient` (curl multi).
public final class CloudRecognizer: SpeechRecognizer, Sendable {
    public let endpoint: AudioEndpoint
    public let http: HTTPClient
    public var name: String { "cloud-stt \(endpoint.model)" }
    public let sampleRate = 16_000

    public init(endpoint: AudioEndpoint, http: HTTPClient) {
        self.endpoint = endpoint
        self.http = http
    }

    public func makeSession(onPartial: (@Sendable (String) -> Void)?) -> RecognitionSession {
        // The transcription endpoint has no partial results; `onPartial` is never called.
        CloudRecognitionSession(recognizer: self)
    }
}

final class CloudRecognitionSession: RecognitionSession, @unchecked Sendable {
    // @unchecked: `samples`, `prompt`, `closed` are touched only on `queue`.
    private let recognizer: CloudRecognizer
    private let queue = DispatchQueue(label: "cloud-stt-session")
    private var samples: [Int16] = []
    private var prompt: String?
    private var closed = false

    init(recognizer: CloudRecognizer) {
        self.recognizer = recognizer
    }

    func accept(samples new: [Int16]) {
        queue.async { [self] in if !closed { samples.append(contentsOf: new) } }
    }

    func finish(_ completion: @escaping @Sendable (Result<Transcript, SpeechError>) -> Void) {
        queue.async { [self] in
            guard !closed else { return completion(.failure(.sessionClosed)) }
            let audio = samples
            samples.removeAll(keepingCapacity: true)
            upload(audio, prompt: prompt, completion)
        }
    }

    func cancelUtterance() {
        queue.async { [self] in samples.removeAll(keepingCapacity: true) }
    }

    /// Any grammar is accepted: the service knows every word; its vocabulary becomes a prompt hint.
    func useGrammar(_ grammar: RecognitionGrammar) throws(SpeechError) {
        let hint = grammar.vocabulary.sorted().joined(separator: " ")
        queue.async { [self] in prompt = hint }
    }

    func useLanguageModel() {
        queue.async { [self] in prompt = nil }
    }

    func ready(_ completion: @escaping @Sendable (Result<Double, SpeechError>) -> Void) {
        queue.async { [self] in completion(closed ? .failure(.sessionClosed) : .success(0)) }
    }

    func close() {
        queue.async { [self] in
            closed = true
            samples = []
        }
    }

    private func upload(_ audio: [Int16], prompt: String?, _ completion: @escaping @Sendable (Result<Transcript, SpeechError>) -> Void) {
        let endpoint = recognizer.endpoint
        let started = DispatchTime.now().uptimeNanoseconds
        let audioSeconds = Double(audio.count) / 16_000
        guard !audio.isEmpty else {
            return completion(.success(Transcript(text: "", search: RecognitionGrammar.languageModelSearch, audioSeconds: 0, processingSeconds: 0, finalizeSeconds: 0)))
        }
        let boundary = "agent-host-\(UInt64.random(in: 1...UInt64.max))"
        var form = MultipartForm(boundary: boundary)
        form.field("model", endpoint.model)
        form.field("response_format", "json")
        if let language = endpoint.language { form.field("language", language) }
        if let prompt { form.field("prompt", prompt) }
        form.file("file", filename: "utterance.wav", contentType: "audio/wav", data: WAVFile.encode(WAVAudio(samples: audio, sampleRate: 16_000)))
        let parts = endpoint.request("audio/transcriptions", contentType: "multipart/form-data; boundary=\(boundary)", body: form.finished())
        var request = ClientRequest(method: "POST", url: parts.url, headers: HTTPHeaders(parts.headers), body: parts.body,
                                    timeoutMilliseconds: endpoint.timeoutMilliseconds)
        request.caFile = endpoint.caFile
        let queue = self.queue
        let search = prompt == nil ? RecognitionGrammar.languageModelSearch : "prompt"
        recognizer.http.send(request) { result in
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let outcome: Result<Transcript, SpeechError>
            switch result {
            case .failure(let error):
                outcome = .failure(.engineFailure("\(endpoint.providerName) transcription: \(error.message)"))
            case .success(let response) where response.status != 200:
                let shown = response.status == 401 || response.status == 403 ? "check the API key"
                    : String(((try? JSONValue.parse(response.text))?["error"]?["message"]?.string ?? "").prefix(200))
                outcome = .failure(.engineFailure("\(endpoint.providerName) transcription: HTTP \(response.status) \(shown)"))
            case .success(let response):
                if let text = (try? JSONValue.parse(response.text))?["text"]?.string {
                    outcome = .success(Transcript(text: Self.normalized(text), search: search, audioSeconds: audioSeconds,
                                                  processingSeconds: seconds, finalizeSeconds: seconds))
                } else {
                    outcome = .failure(.engineFailure("\(endpoint.providerName) transcription: no text in the answer"))
                }
            }
            queue.async { completion(outcome) }
        }
    }

    /// The `Transcript` convention: lower case words separated by single spaces (apostrophes and
    /// hyphens inside words kept, other punctuation dropped).
    static func normalized(_ text: String) -> String {
        let kept = text.lowercased().unicodeScalars.map { scalar -> Character in
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "'" || scalar == "-" { return Character(scalar) }
            return " "
        }
        return String(kept).split(separator: " ").joined(separator: " ")
    }
}

/// A `multipart/form-data` body (RFC 7578).
struct MultipartForm {
    let boundary: String
    private var body: [UInt8] = []

    init(boundary: String) { self.boundary = boundary }

    mutating func field(_ name: String, _ value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    mutating func file(_ name: String, filename: String, contentType: String, data: [UInt8]) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        body += data
        body += Array("\r\n".utf8)
    }

    func finished() -> [UInt8] { body + Array("--\(boundary)--\r\n".utf8) }
}
