import Dispatch
import Foundation
import HostAudio
import HostNet
import HostSpeech
import Synchronization

/// Text to speech through an OpenAI-compatible `POST /v1/audio/speech` with
/// `response_format: "pcm"` (24 kHz PCM16 LE mono), streamed: audio is handed on as it arrives,
/// sentence by sentence, so playback starts before the reply is rendered.
///
/// Threading (the `SpeechSynthesizer` contract): `synthesize` only enqueues; requests run one
/// after another on this synthesizer's serial queue, and `onEvent` is called there. The HTTP work
/// runs on the host's loop through `HTTPClient` (curl multi), never blocking it or the queue.
public final class CloudSynthesizer: SpeechSynthesizer, @unchecked Sendable {
    // @unchecked: `pending` and `busy` are touched only on `queue`.
    public let endpoint: AudioEndpoint
    public var name: String { "cloud-tts \(endpoint.model)" }
    public let sampleRate = 24_000
    private let http: HTTPClient
    private let queue = DispatchQueue(label: "cloud-tts")
    private var pending: [Request] = []
    private var busy = false

    private struct Request {
        let sentences: [String]
        let voice: String
        let job: SynthesisJob
        let onEvent: @Sendable (SynthesisEvent) -> Void
        let submitted: UInt64
    }

    public init(endpoint: AudioEndpoint, http: HTTPClient) {
        self.endpoint = endpoint
        self.http = http
    }

    @discardableResult
    public func synthesize(text: String, voice: String?, onEvent: @escaping @Sendable (SynthesisEvent) -> Void) -> SynthesisJob {
        let job = SynthesisJob()
        let request = Request(sentences: SentenceSplitter.split(text), voice: voice ?? endpoint.voice, job: job, onEvent: onEvent,
                              submitted: DispatchTime.now().uptimeNanoseconds)
        queue.async { [self] in
            pending.append(request)
            startNext()
        }
        return job
    }

    /// On `queue`.
    private func startNext() {
        guard !busy, !pending.isEmpty else { return }
        busy = true
        let request = pending.removeFirst()
        Rendering(synthesizer: self, request: request).sentence(0)
    }

    /// One request's progress through its sentences; all on `queue`.
    private final class Rendering: @unchecked Sendable {
        // @unchecked: mutated only on the synthesizer's queue.
        let synthesizer: CloudSynthesizer
        let request: Request
        var samples = 0
        var firstAudio: Double?
        /// Holds a sample split across response chunks.
        var decoder = PCM16Decoder()
        var started: UInt64 = 0
        var busySeconds = 0.0

        init(synthesizer: CloudSynthesizer, request: Request) {
            self.synthesizer = synthesizer
            self.request = request
        }

        func sentence(_ index: Int) {
            let queue = synthesizer.queue
            guard !request.job.isCancelled else { return end(.cancelled) }
            guard index < request.sentences.count else {
                return end(.finished(SynthesisSummary(sentences: request.sentences.count, samples: samples, sampleRate: 24_000,
                                                      synthesisSeconds: busySeconds, firstAudioSeconds: firstAudio)))
            }
            let endpoint = synthesizer.endpoint
            var body = JSONWriter(capacity: 256)
            body.raw("{")
            body.key("model", first: true); body.string(endpoint.model)
            body.key("input"); body.string(request.sentences[index])
            body.key("voice"); body.string(request.voice)
            body.key("response_format"); body.string("pcm")
            body.raw("}")
            let parts = endpoint.request("audio/speech", contentType: "application/json", body: body.bytes)
            var client = ClientRequest(method: "POST", url: parts.url, headers: HTTPHeaders(parts.headers), body: parts.body,
                                       timeoutMilliseconds: endpoint.timeoutMilliseconds)
            client.caFile = endpoint.caFile
            let errorBody = Mutex<[UInt8]>([])
            client.onData = { [self] status, _, bytes in
                guard status == 200 else {
                    errorBody.withLock { $0.append(contentsOf: bytes.prefix(1024)) }
                    return true
                }
                guard !request.job.isCancelled else { return false }
                let piece = [UInt8](bytes)
                queue.async { self.audio(piece, sentence: index) }
                return true
            }
            started = DispatchTime.now().uptimeNanoseconds
            synthesizer.http.send(client) { [self] result in
                let detail = String(decoding: errorBody.withLock { $0 }, as: UTF8.self)
                queue.async { self.sentenceDone(index, result, detail) }
            }
        }

        private func audio(_ bytes: [UInt8], sentence index: Int) {
            guard !request.job.isCancelled else { return }
            // A chunk may split a sample: the decoder holds the odd byte for the next one.
            let pcm = decoder.decode(bytes)
            guard !pcm.isEmpty else { return }
            if firstAudio == nil { firstAudio = Double(DispatchTime.now().uptimeNanoseconds - request.submitted) / 1e9 }
            samples += pcm.count
            request.onEvent(.audio(SpeechAudioChunk(samples: pcm, sampleRate: 24_000, sentenceIndex: index)))
        }

        private func sentenceDone(_ index: Int, _ result: ClientResult, _ detail: String) {
            busySeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            decoder.reset()
            if request.job.isCancelled { return end(.cancelled) }
            switch result {
            case .failure(let error):
                return end(.failed(.engineFailure("\(synthesizer.endpoint.providerName) speech: \(error.message)")))
            case .success(let response) where response.status != 200:
                let message = (try? JSONValue.parse(detail))?["error"]?["message"]?.string ?? ""
                let shown = response.status == 401 || response.status == 403 ? "check the API key" : String(message.prefix(200))
                return end(.failed(.engineFailure("\(synthesizer.endpoint.providerName) speech: HTTP \(response.status) \(shown)")))
            case .success:
                request.onEvent(.sentenceFinished(index: index, text: request.sentences[index]))
                sentence(index + 1)
            }
        }

        private func end(_ event: SynthesisEvent) {
            request.onEvent(event)
            synthesizer.busy = false
            synthesizer.startNext()
        }
    }
}
