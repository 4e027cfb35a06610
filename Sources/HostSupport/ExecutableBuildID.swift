import Glibc

/// The GNU build id the linker wrote into an executable (`readelf -n` shows it as "Build ID"):
/// two builds of one version differ in it, so an operator can tell which build each host of a
/// fleet runs during a rolling upgrade (docs/scaling.md). Read from the file's PT_NOTE segments
/// with `pread` (a few hundred bytes), not from the mapped image: Swift's Glibc module does not
/// export `dl_iterate_phdr`.
public enum ExecutableBuildID {
    /// This process's executable's build id, read once; nil when it was linked without one. The
    /// read is file I/O: a server reads it at start-up (HostRunner), before any loop asks.
    public static let current: String? = read()

    /// The build id of the ELF64 little-endian file at `path` in hex; nil when it has none or is
    /// not such a file.
    public static func read(_ path: String = "/proc/self/exe") -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func bytes(_ count: Int, at offset: Int) -> [UInt8]? {
            guard count > 0, count <= 1 << 20 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got == count ? buffer : nil
        }
        func integer(_ buffer: [UInt8], _ at: Int, _ size: Int) -> Int {
            (0..<size).reversed().reduce(0) { $0 << 8 | Int(buffer[at + $1]) }
        }
        // "\u{7f}ELF", 64-bit (class 2), little-endian (data 1).
        guard let header = bytes(64, at: 0), header[0..<4] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2, header[5] == 1 else { return nil }
        let tableOffset = integer(header, 32, 8), entrySize = integer(header, 54, 2), entries = integer(header, 56, 2)
        guard entrySize >= 56, let table = bytes(entrySize * entries, at: tableOffset) else { return nil }
        for entry in 0..<entries where integer(table, entry * entrySize, 4) == 4 {  // PT_NOTE
            let base = entry * entrySize
            guard let notes = bytes(integer(table, base + 32, 8), at: integer(table, base + 8, 8)) else { continue }
            var at = 0
            while at + 12 <= notes.count {
                let nameSize = integer(notes, at, 4), descSize = integer(notes, at + 4, 4), type = integer(notes, at + 8, 4)
                let name = at + 12, desc = name + (nameSize + 3) & ~3
                guard desc + descSize <= notes.count else { break }
                if type == 3, nameSize == 4, notes[name..<name + 3] == [0x47, 0x4e, 0x55] {  // NT_GNU_BUILD_ID, "GNU"
                    return notes[desc..<desc + descSize].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                }
                at = desc + (descSize + 3) & ~3
            }
        }
        return nil
    }
}
