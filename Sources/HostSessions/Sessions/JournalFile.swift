import Foundation
import Glibc
import HostSupport

/// The append-only file under `SessionJournal`: one JSON line per pending save.
///
/// Blocking I/O (write, fsync, rename): only ever called on the journal's serial queue, never on
/// an event loop. `append` returns after `fsync`, so a line it accepted survives a crash or power
/// loss; `rewrite` replaces the file atomically (temp file, fsync, rename, fsync the directory),
/// so a crash mid-compaction leaves either the old or the new file, never a mix.
final class JournalFile {
    struct IOError: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    /// Lines that could not be replayed or parsed are moved here rather than dropped.
    var rejectedPath: String { path + ".rejected" }
    private var fd: Int32 = -1

    init(path: String) {
        self.path = path
    }

    deinit { close() }

    /// The complete lines in the file, in order. A final line without its newline is a write
    /// that crashed before `fsync` returned, so it was never acknowledged: returned separately.
    func readLines() throws -> (lines: [String], torn: String?) {
        guard FileManager.default.fileExists(atPath: path) else { return ([], nil) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IOError(description: "cannot read \(path)")
        }
        var lines: [String] = []
        var start = data.startIndex
        var index = data.startIndex
        while index < data.endIndex {
            if data[index] == UInt8(ascii: "\n") {
                if index > start { lines.append(String(decoding: data[start..<index], as: UTF8.self)) }
                start = data.index(after: index)
            }
            index = data.index(after: index)
        }
        let torn = start < data.endIndex ? String(decoding: data[start...], as: UTF8.self) : nil
        return (lines, torn)
    }

    /// Appends `lines` (each without a newline) and fsyncs.
    func append(_ lines: [String]) throws {
        try openIfNeeded()
        let end = lseek(fd, 0, SEEK_END)
        do {
            try Self.writeAll(fd, Data(lines.map { $0 + "\n" }.joined().utf8), path: path)
            guard fsync(fd) == 0 else { throw IOError(description: "fsync \(path): \(Self.errnoText())") }
        } catch {
            // A half-written line (disk full) would glue itself to the next append: cut it off.
            if end >= 0 { _ = ftruncate(fd, end) }
            throw error
        }
    }

    /// Replaces the file's content with `lines` atomically.
    func rewrite(_ lines: [String]) throws {
        close()
        if lines.isEmpty {
            // Nothing pending: an empty file (truncate + fsync) is cheaper than a rename.
            let handle = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard handle >= 0 else { throw IOError(description: "truncate \(path): \(Self.errnoText())") }
            defer { Glibc.close(handle) }
            guard fsync(handle) == 0 else { throw IOError(description: "fsync \(path): \(Self.errnoText())") }
            return
        }
        let temporary = path + ".tmp"
        let handle = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard handle >= 0 else { throw IOError(description: "create \(temporary): \(Self.errnoText())") }
        do {
            try Self.writeAll(handle, Data(lines.map { $0 + "\n" }.joined().utf8), path: temporary)
            guard fsync(handle) == 0 else { throw IOError(description: "fsync \(temporary): \(Self.errnoText())") }
        } catch {
            Glibc.close(handle)
            throw error
        }
        Glibc.close(handle)
        guard rename(temporary, path) == 0 else { throw IOError(description: "rename \(temporary): \(Self.errnoText())") }
        syncDirectory()
    }

    /// Appends `line` to the `.rejected` file (fsynced), for an operator to look at.
    func reject(_ line: String, reason: String) throws {
        let handle = Glibc.open(rejectedPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard handle >= 0 else { throw IOError(description: "open \(rejectedPath): \(Self.errnoText())") }
        defer { Glibc.close(handle) }
        let text = "{\"reason\":" + JSONText.quote(reason) + ",\"line\":" + JSONText.quote(line) + "}\n"
        try Self.writeAll(handle, Data(text.utf8), path: rejectedPath)
        guard fsync(handle) == 0 else { throw IOError(description: "fsync \(rejectedPath): \(Self.errnoText())") }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func openIfNeeded() throws {
        guard fd < 0 else { return }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let created = !FileManager.default.fileExists(atPath: path)
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IOError(description: "open \(path): \(Self.errnoText())") }
        // A new file's directory entry must be durable too, or the fsynced lines can vanish.
        if created { syncDirectory() }
    }

    private func syncDirectory() {
        let directory = (path as NSString).deletingLastPathComponent
        let handle = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard handle >= 0 else { return }
        _ = fsync(handle)
        Glibc.close(handle)
    }

    private static func writeAll(_ handle: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { raw in
            guard var base = raw.baseAddress else { return }
            var remaining = raw.count
            while remaining > 0 {
                let written = write(handle, base, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw IOError(description: "write \(path): \(errnoText())")
                }
                remaining -= written
                base += written
            }
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
