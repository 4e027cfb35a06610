import Foundation
import Glibc

/// Decides, before a file is dlopen'ed, whether it would bring a Swift runtime other than the
/// host's: it needs libswiftCore.so and its RUNPATH/RPATH resolves that to a different file than
/// the one this process runs on. Such a file is never mapped into the host (its image would
/// register with the host's runtime); the plugin runner describes it instead.
enum SwiftRuntimeProbe {
    /// The host's libswiftCore, resolved (nil if this process has none, which never happens here).
    static let hostRuntime: String? = {
        // dladdr is not visible to Swift here; the process's own map names the file just as well.
        // Read to the end: /proc files report a size of 0, which String(contentsOfFile:) trusts.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            return resolved(String(line[slash...]))
        }
        return nil
    }()

    /// The libswiftCore `path` would load, when it is not the host's; nil when the file does not
    /// need one, finds the host's, or cannot be read as ELF (the loader's own checks report that).
    static func foreignRuntime(of path: String) -> String? {
        guard let dynamic = ELFDynamic(path: path), dynamic.needed.contains("libswiftCore.so"), let host = hostRuntime else { return nil }
        let origin = (path as NSString).deletingLastPathComponent
        for directory in dynamic.searchPath {
            let expanded = directory.replacingOccurrences(of: "$ORIGIN", with: origin).replacingOccurrences(of: "${ORIGIN}", with: origin)
            let candidate = (expanded as NSString).appendingPathComponent("libswiftCore.so")
            guard let found = resolved(candidate) else { continue }
            return found == host ? nil : found
        }
        return nil  // found through the default search path: the same one the host's came from
    }

    private static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }
}

/// DT_NEEDED and DT_RUNPATH (or DT_RPATH) of a 64-bit little-endian ELF shared object.
struct ELFDynamic {
    var needed: [String] = []
    var searchPath: [String] = []

    init?(path: String) {
        guard let data = FileManager.default.contents(atPath: path), data.count > 64 else { return nil }
        let bytes = [UInt8](data)
        guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46, bytes[4] == 2, bytes[5] == 1 else { return nil }
        func u16(_ o: Int) -> Int { o + 2 <= bytes.count ? Int(bytes[o]) | Int(bytes[o + 1]) << 8 : 0 }
        func u64(_ o: Int) -> UInt64 {
            guard o >= 0, o + 8 <= bytes.count else { return 0 }
            return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) }
        }
        let phoff = Int(u64(0x20)), phentsize = u16(0x36), phnum = u16(0x38)
        var loads: [(offset: UInt64, vaddr: UInt64, size: UInt64)] = []
        var dynamic: (offset: Int, size: Int)?
        for index in 0..<phnum {
            let header = phoff + index * phentsize
            guard header + 56 <= bytes.count else { return nil }
            let type = u64(header) & 0xffff_ffff
            if type == 1 { loads.append((u64(header + 8), u64(header + 16), u64(header + 32))) }
            if type == 2 { dynamic = (Int(u64(header + 8)), Int(u64(header + 32))) }
        }
        guard let dynamic else { return }
        var strtab: UInt64 = 0
        var neededOffsets: [UInt64] = [], runpath: UInt64?, rpath: UInt64?
        var entry = dynamic.offset
        while entry + 16 <= min(bytes.count, dynamic.offset + dynamic.size) {
            let tag = u64(entry), value = u64(entry + 8)
            if tag == 0 { break }
            switch tag {
            case 1: neededOffsets.append(value)
            case 5: strtab = value
            case 15: rpath = value
            case 29: runpath = value
            default: break
            }
            entry += 16
        }
        guard let segment = loads.first(where: { strtab >= $0.vaddr && strtab < $0.vaddr + $0.size }) else { return nil }
        let base = Int(segment.offset + (strtab - segment.vaddr))
        func string(_ offset: UInt64) -> String {
            var end = base + Int(offset)
            let start = end
            while end < bytes.count, bytes[end] != 0 { end += 1 }
            return start < bytes.count ? String(decoding: bytes[start..<end], as: UTF8.self) : ""
        }
        needed = neededOffsets.map(string)
        if let list = runpath ?? rpath { searchPath = string(list).split(separator: ":").map(String.init) }
    }
}
