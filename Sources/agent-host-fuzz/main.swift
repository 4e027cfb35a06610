// agent-host-fuzz: runs the fuzz harnesses of Sources/FuzzTargets (docs/testing.md).
//   agent-host-fuzz list
//   agent-host-fuzz <target|all> [--seconds N | --runs N] [--seed N] [--corpus DIR] [--artifacts DIR] [--hang-seconds N]
//   agent-host-fuzz <target> --replay FILE...
//   agent-host-fuzz <target> --libfuzzer [libFuzzer flags and corpus directories]   (libFuzzer builds only)
import FuzzKit
import FuzzTargets
import Glibc

func say(_ line: String) {
    print(line)
    fflush(nil)   // all streams (the C `stdout` global is not concurrency-safe in Swift 6)
}

func usage(_ problem: String) -> Never {
    let text = """
        agent-host-fuzz: \(problem)
        usage: agent-host-fuzz list
               agent-host-fuzz <target|all> [--seconds N | --runs N] [--seed N] [--corpus DIR] [--artifacts DIR] [--hang-seconds N]
               agent-host-fuzz <target> --replay FILE...
               agent-host-fuzz <target> --libfuzzer [libFuzzer flags] [corpus directories]   (scripts/fuzz-libfuzzer builds it)

        """
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(2)
}

func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { usage("name a target (agent-host-fuzz list shows them)") }
arguments.removeFirst()

if command == "list" || command == "--help" || command == "-h" {
    for target in FuzzTargets.all { say("\(target.name.padding(12)) \(target.summary)") }
    exit(0)
}

let targets: [FuzzTarget]
if command == "all" {
    targets = FuzzTargets.all
} else if let target = FuzzTargets.named(command) {
    targets = [target]
} else {
    usage("unknown target \(command) (agent-host-fuzz list shows them)")
}

if arguments.first == "--libfuzzer" {
    guard targets.count == 1 else { usage("--libfuzzer runs one target") }
    runLibFuzzer(targets[0], Array(arguments.dropFirst()))
}

if arguments.first == "--replay" {
    guard targets.count == 1, arguments.count > 1 else { usage("--replay takes one target and at least one file") }
    var failed = false
    for path in arguments.dropFirst() {
        guard let input = FuzzEngine.readFile(path) else { usage("cannot read \(path)") }
        switch FuzzEngine.replay(targets[0], input: input) {
        case .success: say("\(path): ok (\(input.count) bytes)")
        case .failure(let failure):
            say("\(path): FAILED: \(failure)")
            failed = true
        }
    }
    exit(failed ? 1 : 0)
}

var options = FuzzEngine.Options()
var corpus = isDirectory("Tests/Fuzz/Corpus") ? "Tests/Fuzz/Corpus" : nil
options.artifactDirectory = ".build/fuzz"
while let flag = arguments.first {
    arguments.removeFirst()
    guard let value = arguments.first else { usage("\(flag) needs a value") }
    arguments.removeFirst()
    switch flag {
    case "--seconds":
        guard let seconds = Double(value), seconds > 0 else { usage("--seconds must be a positive number") }
        options.seconds = seconds
    case "--runs":
        guard let runs = Int(value), runs > 0 else { usage("--runs must be a positive whole number") }
        options.runs = runs
    case "--seed":
        guard let seed = UInt64(value) else { usage("--seed must be a whole number") }
        options.seed = seed
    case "--corpus": corpus = value
    case "--artifacts": options.artifactDirectory = value
    case "--hang-seconds":
        guard let seconds = Double(value), seconds > 0 else { usage("--hang-seconds must be a positive number") }
        options.hangSeconds = seconds
    default: usage("unknown option \(flag)")
    }
}
if options.seconds == nil, options.runs == nil { options.seconds = 10 }

var failures = 0
for target in targets {
    // --corpus DIR: DIR/<target> when it exists (the committed layout), else DIR itself.
    options.corpusDirectories = corpus.map { isDirectory("\($0)/\(target.name)") ? ["\($0)/\(target.name)"] : [$0] } ?? []
    let report = FuzzEngine.run(target, options: options)
    say(report.description + " [seed \(options.seed)]")
    if report.failure != nil { failures += 1 }
}
exit(failures == 0 ? 0 : 1)

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
