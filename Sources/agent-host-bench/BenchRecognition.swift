import Foundation
import HostSpeech

/// `--recognition accurate|fast` (docs/benchmarks.md, "Recognition profiles"): the benchmarked
/// tenant's `voice.recognition:`, handed to `VoiceServices.offline` as the host hands it a
/// configured tenant's. Passed to the voice host child through the environment.
/// Without the option the tenant keeps the host's default (`RecognitionProfile.standard`).
enum BenchRecognition {
    static let variable = "AGENT_HOST_BENCH_RECOGNITION"

    /// The chosen profile (nil: the default).
    static var profile: RecognitionProfile? {
        ProcessInfo.processInfo.environment[variable].flatMap(RecognitionProfile.init(rawValue:))
    }

    /// The profile the benchmarked tenant runs with, for the benchmarks' headers.
    static var description: String { (profile ?? .standard).rawValue }

    /// Takes `--recognition NAME` out of the arguments into the environment (children inherit it);
    /// exits with a usage line for an unknown name.
    static func take(from arguments: [String]) {
        guard let index = arguments.firstIndex(of: "--recognition"), index + 1 < arguments.count else { return }
        guard RecognitionProfile(rawValue: arguments[index + 1]) != nil else {
            let names = RecognitionProfile.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("agent-host-bench: --recognition is one of \(names)\n".utf8))
            exit(2)
        }
        setenv(variable, arguments[index + 1], 1)
    }

    /// `VoiceServices.offline`'s `recognition` for the benchmarked tenant (empty: the default).
    static func profiles(tenant id: String) -> [String: RecognitionProfile] {
        profile.map { [id: $0] } ?? [:]
    }
}
