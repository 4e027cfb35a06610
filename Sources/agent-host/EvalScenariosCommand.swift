import Foundation
import Host
import HostClient
import HostSupport

/// `agent-host eval scenarios FILE.yaml… [--url URL | --local] [--voice] [--junit out.xml]
/// [--tenant T] [--api-key KEY] [--plugin-dir DIR]` (docs/evals.md). Exit 0 when every turn
/// met its expectations, 1 when one did not (or the host could not be reached), 2 for bad usage
/// or a scenario file that cannot be read.
func evalScenarios(_ arguments: [String]) -> Never {
    var evaluation = ScenarioEvaluation()
    var paths: [String] = []
    var url: String?
    var local = false
    var voice = false
    var junit: String?
    var cursor = ArgumentCursor(arguments)
    while let argument = cursor.next() {
        switch argument {
        case "--url": url = cursor.value()
        case "--local": local = true
        case "--voice": voice = true
        case "--junit": junit = cursor.value()
        case "--tenant": evaluation.tenant = cursor.value()
        case "--api-key", "--token": evaluation.apiKey = cursor.value()
        case "--plugin-dir": evaluation.pluginDirectories = [cursor.value()]
        case let option where option.hasPrefix("-"): fail("unknown option \(option) for eval scenarios (\(Usage.evalScenariosLine))")
        case let path: paths.append(path)
        }
    }
    guard !paths.isEmpty else { fail("eval scenarios needs at least one FILE.yaml (\(Usage.evalScenariosLine))") }
    if local && url != nil { fail("--local and --url exclude each other: scenarios run in-process or against one host") }
    if local && voice { fail("--voice needs a served host (--url URL): the voice channel is the host's /ws/voice socket") }
    evaluation.channel = local ? .local : voice ? .voice(url: url ?? "http://127.0.0.1:8080") : .chat(url: url ?? "http://127.0.0.1:8080")
    var files: [ScenarioFile] = []
    for path in paths {
        do { files.append(try ScenarioFile.load(path: path)) } catch { fail(error.description) }
    }
    let start = ContinuousClock.now
    let results: [ScenarioEvaluation.TurnResult]
    do { results = try evaluation.run(files) } catch { fail(error.description, code: error.exitCode) }
    let elapsed = ContinuousClock.now - start
    print(evaluation.summary(results, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
    if let junit {
        do { try evaluation.writeJUnit(results, to: junit) } catch { fail(error.description, code: error.exitCode) }
    }
    StandardOutput.flush()
    exit(results.allSatisfy(\.passed) ? 0 : 1)
}
