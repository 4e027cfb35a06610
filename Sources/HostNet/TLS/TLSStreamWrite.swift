import CLibUV

/// Writes all the ciphertext `engine` has for the peer to `stream` in one `uv_write`, from a heap
/// buffer the write callback frees (libuv keeps the buffer until then). Returns libuv's status
/// (0 when there was nothing to write).
func uvWritePending(_ stream: UnsafeMutablePointer<uv_stream_t>, _ engine: TLSEngine) -> Int32 {
    let count = engine.outgoingCount
    guard count > 0 else { return 0 }
    let memory = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
    let filled = engine.readOutgoing(into: memory, capacity: count)
    let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
    request.pointee.data = memory
    var buffer = uv_buf_init(memory.assumingMemoryBound(to: CChar.self), UInt32(filled))
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
