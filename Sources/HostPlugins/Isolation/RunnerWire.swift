/// The host's side of the plugin runner's wire protocol (PluginRunner/wire.h is the other side
/// and the reference for every number here; docs/abi.md explains the protocol).
enum Wire {
    static let version = "agent-host-runner/5"
    static let header = 32
    static let maxFrame = 16 << 20
    static let maxFields = 130
    /// The largest payload one frame carries (AH_WIRE_MAX_PAYLOAD).
    static let maxPayload = 15 << 20

    // host -> runner
    static let create: UInt8 = 1, invoke: UInt8 = 2, toolCancel: UInt8 = 3, step: UInt8 = 4
    static let toolResult: UInt8 = 5, stepCancel: UInt8 = 6, destroy: UInt8 = 7, reply: UInt8 = 8
    static let httpResponse: UInt8 = 9, timerFired: UInt8 = 10
    // runner -> host
    static let hello: UInt8 = 20, created: UInt8 = 21, refused: UInt8 = 22, stepRefused: UInt8 = 23
    static let log: UInt8 = 24, toolComplete: UInt8 = 25, stepDone: UInt8 = 26
    static let say: UInt8 = 30, callTool: UInt8 = 31, handoff: UInt8 = 32, escalate: UInt8 = 33
    static let endSession: UInt8 = 34, setState: UInt8 = 35, kvGet: UInt8 = 36, kvSet: UInt8 = 37
    static let kvRemove: UInt8 = 38, httpRequest: UInt8 = 39, timerStart: UInt8 = 40
    static let metric: UInt8 = 41, httpCancel: UInt8 = 42, timerCancel: UInt8 = 43
    /// Synchronous requests of the draft extensions (revision 3; RunnerProcess+Drafts.swift).
    static let voiceHint: UInt8 = 44, catalogSubscribe: UInt8 = 45, catalogFetch: UInt8 = 46
    /// The dtmf draft's `send_digits` (revision 4), for an instance granted it.
    static let dtmfSend: UInt8 = 47

    static let fromRunner: Set<UInt8> = [20, 21, 22, 23, 24, 25, 26, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47]
}

/// One frame: a fixed header and a few byte-string fields.
struct WireFrame: Sendable {
    var type: UInt8
    var instance: UInt32 = 0
    var id: UInt64 = 0
    var arg: UInt64 = 0
    var status: Int32 = 0
    var fields: [[UInt8]] = []

    func text(_ index: Int) -> String {
        index < fields.count ? String(decoding: fields[index], as: UTF8.self) : ""
    }

    /// nil for an absent or empty field (the protocol's spelling of a NULL string).
    func optionalText(_ index: Int) -> String? {
        index < fields.count && !fields[index].isEmpty ? text(index) : nil
    }

    /// Appends the frame's bytes to `out` (a runner's outbox: no array per frame).
    func encode(into out: inout [UInt8]) {
        // Only into an empty outbox: reserving a little more each time would defeat the array's
        // geometric growth and copy the outbox once per frame.
        if out.isEmpty { out.reserveCapacity(4 + Wire.header + fields.reduce(0) { $0 + $1.count + 5 }) }
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt32(Wire.header + fields.reduce(0) { $0 + $1.count + 5 }))
        out.append(contentsOf: [type, 0, 0, 0])
        put(instance); put(id); put(arg); put(status); put(UInt32(fields.count))
        for field in fields {
            put(UInt32(field.count))
            out.append(contentsOf: field)
            out.append(0)
        }
    }
}

extension WireFrame {
    init(_ type: UInt8, instance: UInt32 = 0, id: UInt64 = 0, arg: UInt64 = 0, status: Int32 = 0, _ texts: [String]) {
        self.init(type: type, instance: instance, id: id, arg: arg, status: status, fields: texts.map { Array($0.utf8) })
    }
}

/// Why bytes from a runner are not a frame: the runner is treated as crashed.
struct WireGarbage: Error, CustomStringConvertible {
    let description: String
}

/// Accumulates bytes read from a runner and cuts them into frames.
struct WireDecoder {
    private var buffer: [UInt8] = []
    private var start = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, nil when more bytes are needed; throws on anything malformed.
    mutating func next() throws(WireGarbage) -> WireFrame? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length = Int(read(UInt32.self, at: start))
        guard length >= Wire.header, length <= Wire.maxFrame else {
            throw WireGarbage(description: "frame length \(length) outside \(Wire.header)...\(Wire.maxFrame)")
        }
        guard available >= 4 + length else { return nil }
        let body = start + 4
        var frame = WireFrame(type: buffer[body])
        guard Wire.fromRunner.contains(frame.type) else { throw WireGarbage(description: "unknown frame type \(frame.type)") }
        frame.instance = read(UInt32.self, at: body + 4)
        frame.id = read(UInt64.self, at: body + 8)
        frame.arg = read(UInt64.self, at: body + 16)
        frame.status = read(Int32.self, at: body + 24)
        let count = Int(read(UInt32.self, at: body + 28))
        guard count <= Wire.maxFields else { throw WireGarbage(description: "\(count) fields, more than \(Wire.maxFields)") }
        var offset = body + Wire.header
        let end = body + length
        for _ in 0..<count {
            guard offset + 4 <= end else { throw WireGarbage(description: "field header past the frame's end") }
            let size = Int(read(UInt32.self, at: offset))
            offset += 4
            guard size < end - offset, buffer[offset + size] == 0 else { throw WireGarbage(description: "field of \(size) bytes past the frame's end or not NUL-terminated") }
            frame.fields.append(Array(buffer[offset..<offset + size]))
            offset += size + 1
        }
        start = end
        if start > 1 << 16 { buffer.removeFirst(start); start = 0 }
        return frame
    }

    private func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { out in
            buffer.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + MemoryLayout<T>.size])) }
        }
        return T(littleEndian: value)
    }
}
