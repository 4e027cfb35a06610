import FuzzKit
import FuzzTargets
import XCTest

/// Every harness passes on its committed seed corpus (which holds the inputs of bugs fuzzing
/// found, so they stay fixed) and on a fixed number of seeded mutations of it. The time-bounded
/// runs are in .ci/run; these are the deterministic part.
final class FuzzHarnessTests: XCTestCase {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Corpus").path

    private func run(_ name: String, runs: Int) throws {
        let target = try XCTUnwrap(FuzzTargets.named(name))
        let seeds = FuzzEngine.loadCorpus(["\(Self.corpusRoot)/\(name)"], maxLength: target.maxInputLength)
        XCTAssertGreaterThanOrEqual(seeds.count, 3, "\(name) has too small a seed corpus")
        var options = FuzzEngine.Options(runs: seeds.count + runs, seed: 42)
        options.corpusDirectories = ["\(Self.corpusRoot)/\(name)"]
        options.artifactDirectory = NSTemporaryDirectory()
        options.captureCrashes = false
        let report = FuzzEngine.run(target, options: options)
        XCTAssertNil(report.failure.map { "\($0.message) (input in \($0.path ?? "?"))" }, "\(report)")
        XCTAssertEqual(report.executions, seeds.count + runs)
        XCTAssertGreaterThan(report.behaviours, 1, "every input behaved the same: the harness is not looking")
    }

    func testWebSocket() throws { try run("websocket", runs: 300) }
    func testHTTPParser() throws { try run("http-parser", runs: 1_000) }
    func testHTTPServer() throws { try run("http-server", runs: 150) }
    func testTwilio() throws { try run("twilio", runs: 1_000) }
    func testSSE() throws { try run("sse", runs: 500) }
    func testSDKJSON() throws { try run("sdk-json", runs: 1_000) }
    func testConfiguration() throws { try run("config", runs: 500) }

    func testEveryHarnessHasACorpusAndAUniqueName() {
        XCTAssertEqual(Set(FuzzTargets.all.map(\.name)).count, FuzzTargets.all.count)
        for target in FuzzTargets.all {
            XCTAssertFalse(FuzzEngine.loadCorpus(["\(Self.corpusRoot)/\(target.name)"], maxLength: 1 << 20).isEmpty, target.name)
        }
    }
}

/// The engine itself: reproducible, and it finds and saves what a harness reports.
final class FuzzEngineTests: XCTestCase {
    func testTheSameSeedMutatesTheSameWay() {
        let mutator = Mutator(dictionary: [Array("token".utf8)])
        func sequence(_ seed: UInt64) -> [[UInt8]] {
            var random = FuzzRandom(seed: seed)
            var input = Array("GET / HTTP/1.1\r\n\r\n".utf8)
            return (0..<200).map { _ in
                input = mutator.mutate(input, pool: [Array("{}".utf8)], random: &random)
                return input
            }
        }
        XCTAssertEqual(sequence(7), sequence(7))
        XCTAssertNotEqual(sequence(7), sequence(8))
        XCTAssertTrue(sequence(7).allSatisfy { $0.count <= 4_096 })
    }

    func testABrokenInvariantStopsTheRunAndSavesItsInput() throws {
        // A planted bug: inputs containing "}{" break the invariant. Mutations of "{}{" reach it.
        let target = FuzzTarget(name: "planted", summary: "test", dictionary: ["}", "{"]) { input throws(FuzzFailure) in
            try fuzzCheck(!input.indices.dropLast().contains { input[$0] == UInt8(ascii: "}") && input[$0 + 1] == UInt8(ascii: "{") },
                          "found the planted bug")
            return StableHash.of(input.prefix(2))
        }
        let directory = NSTemporaryDirectory() + "fuzz-engine-test-\(getpid())"
        var options = FuzzEngine.Options(runs: 100_000, seed: 1)
        options.artifactDirectory = directory
        options.captureCrashes = false
        let report = FuzzEngine.run(target, options: options)
        let failure = try XCTUnwrap(report.failure, "the engine did not find the planted bug in 100,000 runs")
        XCTAssertEqual(failure.message, "found the planted bug")
        let saved = try XCTUnwrap(failure.path.flatMap(FuzzEngine.readFile))
        XCTAssertTrue(String(decoding: saved, as: UTF8.self).contains("}{"), "the saved input is not the failing one")
        guard case .failure = FuzzEngine.replay(target, input: saved) else { return XCTFail("replaying the saved input passed") }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
