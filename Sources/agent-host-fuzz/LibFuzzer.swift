import FuzzKit
import Glibc

// libFuzzer mode. A build with coverage instrumentation and libFuzzer's runtime linked in
// (scripts/fuzz-libfuzzer) defines LIBFUZZER; there `--libfuzzer` hands the process to
// LLVMFuzzerRunDriver with the chosen harness, so libFuzzer's coverage-guided search,
// corpus handling and crash reports apply. A broken invariant aborts, which libFuzzer saves
// as a crash. In ordinary builds the flag explains how to get such a build.

#if LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The harness for the C callback (which cannot capture); set once before the driver starts.
nonisolated(unsafe) var libFuzzerTarget: FuzzTarget?

func runLibFuzzer(_ target: FuzzTarget, _ flags: [String]) -> Never {
    libFuzzerTarget = target
    var arguments = [CommandLine.arguments[0]] + flags
    if !flags.contains(where: { $0.hasPrefix("-dict=") }), let dictionary = writeDictionary(target) {
        arguments.append("-dict=\(dictionary)")
    }
    if !flags.contains(where: { $0.hasPrefix("-max_len=") }) { arguments.append("-max_len=\(target.maxInputLength)") }
    var argc = Int32(arguments.count)
    var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    let status = pointers.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            do {
                _ = try libFuzzerTarget!.run(input)
            } catch {
                let line = "\nagent-host-fuzz: invariant broken: \(error)\n"
                _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                abort()
            }
            return 0
        }
    }
    exit(status)
}

/// The target's tokens in libFuzzer's dictionary format, in a temporary file.
func writeDictionary(_ target: FuzzTarget) -> String? {
    guard !target.dictionary.isEmpty else { return nil }
    let lines = target.dictionary.map { token in
        "\"" + token.map { byte in
            (0x20..<0x7F).contains(byte) && byte != 0x22 && byte != 0x5C ? String(UnicodeScalar(byte)) : "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined() + "\""
    }
    return FuzzEngine.save(Array((lines.joined(separator: "\n") + "\n").utf8), directory: "/tmp",
                           name: "agent-host-fuzz-\(target.name)-\(getpid()).dict")
}
#else
func runLibFuzzer(_ target: FuzzTarget, _ flags: [String]) -> Never {
    let text = "agent-host-fuzz: this build has no libFuzzer; build one with scripts/fuzz-libfuzzer (docs/testing.md)\n"
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(2)
}
#endif
