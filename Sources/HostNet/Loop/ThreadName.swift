import CHostShims
import Glibc

/// Names the calling thread for operators (`top -H`, `ps -L -o tid,comm`, /proc/PID/task/TID/comm;
/// docs/operations.md, "Threads"). Linux keeps 15 bytes: longer names are cut, never refused
/// (`pthread_setname_np` fails with ERANGE on 16+). Only for threads the host created itself:
/// renaming the main thread would rename the process in `ps`.
public enum ThreadName {
    public static let maximumBytes = 15

    public static func set(_ name: String) {
        var bytes = Array(name.utf8.prefix(maximumBytes))
        // Never cut inside a UTF-8 sequence: drop continuation bytes left at the end.
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        bytes.append(0)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { _ = host_set_thread_name($0) }
        }
    }

    /// The calling thread's name (for tests and diagnostics).
    public static var current: String {
        var buffer = [CChar](repeating: 0, count: 32)
        _ = host_get_thread_name(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
