import CLibUV

// libuv's handle types share a common prefix ("inheritance" in C); these casts are the Swift
// spelling of `(uv_stream_t *)tcp` and `(uv_handle_t *)x`.

@inline(__always)
func uvStream<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_stream_t.self)
}

@inline(__always)
func uvHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_handle_t.self)
}

/// Writes `bytes` to `stream` from a heap copy that the write callback frees (libuv keeps the
/// buffer until then). Returns libuv's status; a failure later in the write surfaces on the read side.
func uvWrite(_ stream: UnsafeMutablePointer<uv_stream_t>, _ bytes: [UInt8]) -> Int32 {
    let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
    let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    bytes.withUnsafeBytes { if let base = $0.baseAddress { memory.copyMemory(from: base, byteCount: $0.count) } }
    request.pointee.data = memory
    var buffer = uv_buf_init(memory.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
    let status = uv_write(request, stream, &buffer, 1) { request, _ in
        request?.pointee.data.deallocate()
        request?.deallocate()
    }
    if status < 0 {
        memory.deallocate()
        request.deallocate()
    }
    return status
}
