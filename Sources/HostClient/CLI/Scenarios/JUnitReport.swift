import Foundation
import HostSupport

/// `--junit out.xml`: the results as JUnit XML, the format CI systems display (a `testsuite` per
/// scenario file, a `testcase` per turn named after it, a `failure` per failed turn carrying
/// every unmet expectation).
enum JUnitReport {
    static func xml(_ results: [ScenarioEvaluation.TurnResult], channel: String) -> String {
        var files: [String] = []
        for result in results where !files.contains(result.file) { files.append(result.file) }
        let failures = results.filter { !$0.passed }.count
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<testsuites name="agent-host eval scenarios (\#(escape(channel)))" tests="\#(results.count)" failures="\#(failures)" time="\#(seconds(results))">"# + "\n"
        for file in files {
            let cases = results.filter { $0.file == file }
            let suite = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            out += #"  <testsuite name="\#(escape(suite))" tests="\#(cases.count)" failures="\#(cases.filter { !$0.passed }.count)" errors="0" time="\#(seconds(cases))">"# + "\n"
            for result in cases {
                let name = "turn \(result.index): \(result.say)"
                out += #"    <testcase classname="\#(escape(suite + "." + result.scenario))" name="\#(escape(name))" time="\#(String(format: "%.3f", result.seconds))""#
                if result.passed {
                    out += "/>\n"
                } else {
                    out += ">\n"
                    out += #"      <failure message="\#(escape(result.failures[0]))">\#(escape(result.failures.joined(separator: "\n")))</failure>"# + "\n"
                    out += "    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    private static func seconds(_ results: [ScenarioEvaluation.TurnResult]) -> String {
        String(format: "%.3f", results.reduce(0) { $0 + $1.seconds })
    }

    static func escape(_ text: String) -> String { XMLText.escape(text) }
}

extension ScenarioEvaluation {
    /// Writes the JUnit XML of `results` to `path`.
    public func writeJUnit(_ results: [TurnResult], to path: String) throws(LocalChat.Failure) {
        do {
            try JUnitReport.xml(results, channel: channel.name).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LocalChat.Failure(description: "cannot write the JUnit report to \(path): \(error.localizedDescription)", exitCode: 1)
        }
    }
}
