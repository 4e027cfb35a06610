import CLibUV
import Dispatch
import HostNet
import Synchronization
import XCTest

/// The one resolver, on a real loop with the system's getaddrinfo (through libuv's pool).
final class ResolverTests: LoopTestCase {
    /// Resolves on the loop thread and waits for the single completion: (address text, error).
    private func resolve(_ host: String) -> (text: String?, error: UVError?, onLoop: Bool)? {
        let box = Mutex<(String?, UVError?, Bool)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let loop = loop!
        loop.execute {
            Resolver(loop: loop).resolve(host, port: 6379) { result in
                switch result {
                case .success(let address): box.withLock { $0 = (address.text, nil, loop.inLoopThread) }
                case .failure(let error): box.withLock { $0 = (nil, error, loop.inLoopThread) }
                }
                done.signal()
            }
        }
        guard done.wait(timeout: .now() + 10) == .success else { return nil }
        return box.withLock { $0.map { (text: $0.0, error: $0.1, onLoop: $0.2) } }
    }

    func testANumericAddressComesBackAsItselfOnTheLoop() throws {
        let answer = try XCTUnwrap(resolve("127.0.0.1"))
        XCTAssertEqual(answer.text, "127.0.0.1")
        XCTAssertTrue(answer.onLoop, "the completion runs on the loop thread")
        XCTAssertEqual(try XCTUnwrap(resolve("::1")).text, "::1")
    }

    func testLocalhostResolvesToALoopbackAddress() throws {
        let answer = try XCTUnwrap(resolve("localhost"))
        XCTAssertNil(answer.error)
        XCTAssertTrue(answer.text == "127.0.0.1" || answer.text == "::1", "got \(answer.text ?? "nil")")
    }

    func testAnUnknownNameFailsWithATypedLibuvError() throws {
        // .invalid never resolves (RFC 6761); offline machines may answer EAI_AGAIN instead of EAI_NONAME.
        let answer = try XCTUnwrap(resolve("no-such-host.invalid"))
        XCTAssertNil(answer.text)
        let error = try XCTUnwrap(answer.error)
        XCTAssertTrue([UV_EAI_NONAME.rawValue, UV_EAI_AGAIN.rawValue, UV_EAI_NODATA.rawValue].contains(error.code), "\(error.name): \(error)")
        XCTAssertTrue(answer.onLoop)
    }
}
