import Foundation
import HostAudio

/// `agent-host-bench recording`: what recording costs, driven exactly as calls drive it (per call
/// per second: 50 caller buffers of 20 ms mu-law and 50 agent frames handed over from one
/// thread, written by the recording queue), unpaced so the figure is CPU time, not wall time.
public enum RecordingCost {
    public struct Figures: Sendable {
        /// Process CPU (user + system) for the run, seconds.
        public let cpuSeconds: Double
        /// Call audio handled: calls × seconds.
        public let callSeconds: Double
        public let bytesWritten: Int
        /// Share of one core one call costs.
        public var coreShare: Double { cpuSeconds / callSeconds }
    }

    /// `record: false` runs the same harness without recorders (the baseline).
    public static func measure(calls: Int, seconds: Int, directory: String, sampleRate: Int = 8_000, record: Bool) -> Figures {
        let queue = DispatchQueue(label: "agent-host.recording-bench", qos: .utility)
        let recorders = record ? (0..<calls).map { index -> CallRecorder in
            let recorder = CallRecorder(directory: directory, sampleRate: sampleRate, queue: queue)
            recorder.name(sessionID: "bench-\(getpid())-\(index)")
            return recorder
        } : []
        let frame = sampleRate / 50
        let tone = (0..<frame).map { Int16(8_000 * sin(Double($0) * 2 * .pi * 440 / Double(sampleRate))) }
        let callerBytes = MuLaw.encode(tone)
        var handedOver = 0
        let before = cpuTime()
        for _ in 0..<(seconds * 50) {
            for index in 0..<calls {
                if record {
                    recorders[index].caller(callerBytes, mulaw: true)
                    recorders[index].agent(tone[...])
                } else {
                    handedOver &+= callerBytes.count &+ tone.count
                }
            }
        }
        let group = DispatchGroup()
        for recorder in recorders {
            group.enter()
            recorder.finish { path in
                if let path { try? FileManager.default.removeItem(atPath: path) }
                group.leave()
            }
        }
        group.wait()
        let cpu = cpuTime() - before
        let written = record ? calls * seconds * sampleRate * 4 : 0
        _ = handedOver
        return Figures(cpuSeconds: cpu, callSeconds: Double(calls * seconds), bytesWritten: written)
    }

    private static func cpuTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
