import Glibc

/// A deterministic mutation fuzzer: runs a target's seed corpus, then mutations of it (and of
/// every input that showed a new behaviour signature) until a time or run budget is spent.
/// The first broken invariant stops the run and is saved; a crash kills the process after
/// `CrashCapture` saved the input.
public enum FuzzEngine {
    public struct Options: Sendable {
        /// Stop after this long (nil: no time limit).
        public var seconds: Double?
        /// Stop after this many executions, seeds included (nil: no limit).
        public var runs: Int?
        public var seed: UInt64 = 1
        /// Directories whose files are the starting inputs.
        public var corpusDirectories: [String] = []
        /// Where failing and crashing inputs are written.
        public var artifactDirectory = "."
        /// One input running longer than this is a hang (saved, then abort).
        public var hangSeconds = 10.0
        /// Inputs kept for mutation, seeds included.
        public var maxPool = 4_096
        /// Save crashing inputs from a signal handler (off in tests, which must not install one).
        public var captureCrashes = true

        public init(seconds: Double? = nil, runs: Int? = nil, seed: UInt64 = 1) {
            self.seconds = seconds
            self.runs = runs
            self.seed = seed
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public let target: String
        public let executions: Int
        public let seeds: Int
        public let behaviours: Int
        public let seconds: Double
        /// The broken invariant and where its input was saved.
        public let failure: (message: String, path: String?)?

        public var description: String {
            let rate = seconds > 0 ? Int(Double(executions) / seconds) : executions
            let outcome = failure.map { "FAILED: \($0.message)" + ($0.path.map { " (input saved in \($0))" } ?? "") } ?? "0 failures"
            return "fuzz \(target): \(executions) runs in \(String(format1: seconds)) s (\(rate)/s), \(seeds) seeds, "
                + "\(behaviours) behaviours, \(outcome)"
        }
    }

    public static func run(_ target: FuzzTarget, options: Options) -> Report {
        let seeds = loadCorpus(options.corpusDirectories, maxLength: target.maxInputLength)
        var pool = seeds.isEmpty ? [[UInt8]()] : seeds
        var seen = Set<UInt64>()
        var random = FuzzRandom(seed: options.seed)
        let mutator = Mutator(dictionary: target.dictionary, maxLength: target.maxInputLength)
        let start = monotonicSeconds()
        let deadline = options.seconds.map { start + $0 }
        if options.captureCrashes {
            CrashCapture.arm(target: target.name, path: join(options.artifactDirectory, "crash-\(target.name).bin"),
                             hangSeconds: options.hangSeconds)
        }
        defer { CrashCapture.input = nil }
        var executions = 0

        func finish(_ failure: (String, String?)?) -> Report {
            Report(target: target.name, executions: executions, seeds: seeds.count, behaviours: seen.count,
                   seconds: monotonicSeconds() - start, failure: failure)
        }

        var next = 0   // seeds first, in order
        while true {
            if let runs = options.runs, executions >= runs { break }
            if let deadline, executions % 16 == 0, monotonicSeconds() >= deadline, next >= seeds.count { break }
            let input: [UInt8]
            let isSeed = next < seeds.count
            if isSeed {
                input = seeds[next]
                next += 1
            } else {
                // Newer finds are likelier starting points; seeds stay in play.
                let base = random.oneIn(3) ? pool[random.below(pool.count)] : pool[pool.count - 1 - random.below(Swift.min(pool.count, 64))]
                input = mutator.mutate(base, pool: pool, random: &random)
            }
            let outcome: Result<UInt64, FuzzFailure> = input.withUnsafeBytes { bytes in
                CrashCapture.input = bytes.baseAddress
                CrashCapture.inputCount = bytes.count
                defer { CrashCapture.executions.add(1, ordering: .relaxed) }
                return Result { () throws(FuzzFailure) in try target.run(input) }
            }
            CrashCapture.input = nil
            executions += 1
            switch outcome {
            case .success(let signature):
                if seen.insert(signature).inserted, !isSeed {
                    // Full: a random find makes room (seeds stay).
                    if pool.count >= options.maxPool, pool.count > seeds.count {
                        pool.remove(at: seeds.count + random.below(pool.count - seeds.count))
                    }
                    if pool.count < options.maxPool { pool.append(input) }
                }
            case .failure(let failure):
                let path = save(input, directory: options.artifactDirectory, name: "failure-\(target.name)-\(hex(StableHash.of(input))).bin")
                return finish((failure.description, path))
            }
        }
        return finish(nil)
    }

    /// Runs one saved input (e.g. a crash file) and says what happened.
    public static func replay(_ target: FuzzTarget, input: [UInt8]) -> Result<UInt64, FuzzFailure> {
        Result { () throws(FuzzFailure) in try target.run(input) }
    }

    /// Every regular file in the directories, sorted by path so runs are reproducible.
    public static func loadCorpus(_ directories: [String], maxLength: Int) -> [[UInt8]] {
        var paths: [String] = []
        for directory in directories {
            guard let dir = opendir(directory) else { continue }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard !name.hasPrefix(".") else { continue }
                paths.append(join(directory, name))
            }
            closedir(dir)
        }
        return paths.sorted().compactMap { readFile($0) }.map { $0.count > maxLength ? Array($0.prefix(maxLength)) : $0 }
    }

    public static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return bytes
    }

    @discardableResult
    public static func save(_ bytes: [UInt8], directory: String, name: String) -> String? {
        mkdir(directory, 0o755)
        let path = join(directory, name)
        guard let file = fopen(path, "wb") else { return nil }
        defer { fclose(file) }
        return fwrite(bytes, 1, bytes.count, file) == bytes.count ? path : nil
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
