/// Incremental parser for `text/event-stream` (the WHATWG EventSource format): bytes arrive in
/// whatever pieces the network delivers and events come out as soon as their blank line does.
/// Handles LF, CRLF and CR line ends (also split across pieces), `:` comments, several `data:`
/// lines joined by "\n", `event:`/`id:` fields, and one optional space after the colon.
public struct SSEParser: Sendable {
    public struct Event: Sendable, Equatable {
        public var event: String?
        public var data: String
        public var id: String?

        public init(event: String? = nil, data: String, id: String? = nil) {
            self.event = event
            self.data = data
            self.id = id
        }
    }

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventName: String?
    private var eventID: String?
    /// The previous piece ended in CR: a LF at the start of the next piece belongs to it.
    private var pendingCR = false

    public init() {}

    /// Feeds the next bytes; calls `emit` for each event they complete.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        for byte in bytes {
            if pendingCR {
                pendingCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0D:
                pendingCR = true
                endLine(emit)
            case 0x0A:
                endLine(emit)
            default:
                line.append(byte)
            }
        }
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: (Event) -> Void) {
        bytes.withUnsafeBytes { feed($0, emit) }
    }

    private mutating func endLine(_ emit: (Event) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(emit)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }   // comment (keep-alive)
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        let name = line[..<colon]
        var valueStart = colon < line.count ? colon + 1 : colon
        if valueStart < line.count, line[valueStart] == 0x20 { valueStart += 1 }
        let value = line[valueStart...]
        if name.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.elementsEqual("event".utf8) {
            eventName = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            eventID = String(decoding: value, as: UTF8.self)
        }
        // `retry:` and unknown fields are ignored, as the format says.
    }

    private mutating func dispatch(_ emit: (Event) -> Void) {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventName = nil
        }
        guard hasData else { return }
        emit(Event(event: eventName, data: String(decoding: data, as: UTF8.self), id: eventID))
    }
}
