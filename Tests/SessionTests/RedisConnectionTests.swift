import Dispatch
import Foundation
import HostNet
import HostSessions
import Synchronization
import XCTest

final class RedisConnectionTests: SessionTestCase {
    typealias Reply = Result<RedisReply, RedisError>

    func testURLParsing() throws {
        XCTAssertEqual(try RedisURL(parsing: "redis://10.0.0.5:6380/2"), RedisURL(host: "10.0.0.5", port: 6380, database: 2))
        XCTAssertEqual(try RedisURL(parsing: "redis://cache"), RedisURL(host: "cache", port: 6379, database: 0))
        XCTAssertEqual(try RedisURL(parsing: "redis://[::1]:7000/"), RedisURL(host: "::1", port: 7000))
        let secret = try RedisURL(parsing: "redis://:s3cret@127.0.0.1:6379/1")
        XCTAssertEqual(secret.password, "s3cret")
        XCTAssertFalse(secret.description.contains("s3cret"))
        XCTAssertEqual(try RedisURL(parsing: "unix:///run/redis/redis.sock?db=4"), RedisURL(socketPath: "/run/redis/redis.sock", database: 4))
        XCTAssertThrowsError(try RedisURL(parsing: "unix://relative.sock"))
        XCTAssertThrowsError(try RedisURL(parsing: "http://x:1"))
        XCTAssertThrowsError(try RedisURL(parsing: "redis://x:99999"))
        XCTAssertThrowsError(try RedisURL(parsing: "redis://x:1/abc"))
        XCTAssertThrowsError(try RedisURL(parsing: "redis://:1"))
    }

    func testCommandsAndRepliesOnTheSelectedDatabase() throws {
        let redis3 = RedisURL(host: "127.0.0.1", port: redis.port, database: 3)
        let connection = connection(redis3)
        waitConnected(connection)
        let key = "test:\(UUID().uuidString)"
        XCTAssertEqual(waitFor { connection.send(["SET", key, "héllo wörld"], completion: $0) } as Reply?, .success(.status("OK")))
        XCTAssertEqual(waitFor { connection.send(["GET", key], completion: $0) } as Reply?, .success(.string("héllo wörld")))
        XCTAssertEqual(waitFor { connection.send(["GET", key + ":missing"], completion: $0) } as Reply?, .success(.null))
        XCTAssertEqual(waitFor { connection.send(["INCRBY", key + ":n", "41"], completion: $0) } as Reply?, .success(.integer(41)))
        XCTAssertEqual(waitFor { connection.send(["RPUSH", key + ":l", "a", "", "c"], completion: $0) } as Reply?, .success(.integer(3)))
        XCTAssertEqual(waitFor { connection.send(["LRANGE", key + ":l", "0", "-1"], completion: $0) } as Reply?,
                       .success(.array([.string("a"), .string(""), .string("c")])))
        guard case .success(.error(let message))? = (waitFor { connection.send(["INCR", key], completion: $0) } as Reply?) else {
            return XCTFail("an error reply must be .error")
        }
        XCTAssertTrue(message.hasPrefix("ERR"), message)
        // SELECT 3 happened on connect: the value is in db 3, not db 0.
        XCTAssertEqual(try redis.cli("-n", "3", "GET", key), "héllo wörld")
        XCTAssertEqual(try redis.cli("-n", "0", "EXISTS", key), "0")
    }

    func testUnixSocket() throws {
        let connection = connection(RedisURL(socketPath: redis.socketPath, database: 2))
        waitConnected(connection)
        XCTAssertEqual(waitFor { connection.send(["SET", "via-socket", "yes"], completion: $0) } as Reply?, .success(.status("OK")))
        XCTAssertEqual(try redis.cli("-n", "2", "GET", "via-socket"), "yes")
    }

    func testTimeoutAgainstASilentServerCompletesOnceWithinASecond() throws {
        let silent = try SilentTCPServer()
        let connection = connection(RedisURL(host: "127.0.0.1", port: silent.port))
        XCTAssertTrue(eventually(2) { connection.state == .connecting })
        let results = Mutex<[Reply]>([])
        let started = Date()
        let done = DispatchSemaphore(value: 0)
        connection.send(["PING"]) { result in
            results.withLock { $0.append(result) }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 2), .success, "no completion")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(results.withLock { $0 }, [.failure(.timeout)])
        XCTAssertGreaterThan(elapsed, 0.4)
        XCTAssertLessThan(elapsed, 1.0)
        // A port that accepts but never answers is never "connected".
        XCTAssertNotEqual(connection.state, .connected)
        usleep(1_200_000)  // past the connect timeout and a reconnect: still exactly one completion
        XCTAssertEqual(results.withLock { $0.count }, 1)
    }

    /// A connection reset reported by libuv as a poll error must reach hiredis (the stock
    /// libuv adapter drops it and the socket goes silent until a timeout).
    func testAResetSocketIsNoticedAtOnce() throws {
        let silent = try SilentTCPServer()
        var options = RedisConnection.Options()
        options.connectTimeoutMilliseconds = 4000
        let connection = connection(RedisURL(host: "127.0.0.1", port: silent.port), options: options)
        XCTAssertTrue(eventually(2) { connection.state == .connecting })
        usleep(100_000)  // TCP connected from the backlog, handshake written, no answer
        let results = Mutex<[Reply]>([])
        let done = DispatchSemaphore(value: 0)
        connection.send(["PING"], timeoutMilliseconds: 3000) { result in
            results.withLock { $0.append(result) }
            done.signal()
        }
        usleep(50_000)
        let reset = Date()
        silent.shutdown()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertLessThan(Date().timeIntervalSince(reset), 1.0, "the reset was only noticed by a timer")
        guard case .failure(.disconnected(let reason))? = results.withLock({ $0.first }) else {
            return XCTFail("expected .disconnected, got \(results.withLock { $0 })")
        }
        XCTAssertFalse(reason.contains("timeout"), reason)
    }

    func testTimeoutWhileConnectedResetsTheConnectionAndRecovers() throws {
        let connection = connection()
        waitConnected(connection)
        redis.pause()
        let started = Date()
        let first: Reply? = waitFor { connection.send(["PING"], completion: $0) }
        XCTAssertEqual(first, .failure(.timeout))
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)
        XCTAssertTrue(eventually(2) { connection.state != .connected }, "a timed-out connection must be reset")
        redis.resume()
        waitConnected(connection)
        XCTAssertEqual(waitFor { connection.send(["PING"], completion: $0) } as Reply?, .success(.status("PONG")))
    }

    func testDisconnectCompletesOutstandingCommandsOnceAndReconnects() throws {
        let connection = connection()
        waitConnected(connection)
        let results = Mutex<[Reply]>([])
        let done = DispatchSemaphore(value: 0)
        // BLPOP holds its reply for 10 s (our timeout 8 s): only the disconnect can complete it.
        connection.send(["BLPOP", "never:\(UUID().uuidString)", "10"], timeoutMilliseconds: 8000) { result in
            results.withLock { $0.append(result) }
            done.signal()
        }
        usleep(100_000)
        let stopped = Date()
        redis.stop()
        XCTAssertEqual(done.wait(timeout: .now() + 3), .success)
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 2)
        guard case .failure(.disconnected)? = results.withLock({ $0.first }) else {
            return XCTFail("expected .disconnected, got \(results.withLock { $0 })")
        }
        XCTAssertTrue(eventually(2) { connection.state != .connected })
        // While down, commands fail at once instead of waiting.
        let downStarted = Date()
        let whileDown: Reply? = waitFor { connection.send(["PING"], completion: $0) }
        guard case .failure(.disconnected)? = whileDown else {
            return XCTFail("a command while down must fail with .disconnected, got \(String(describing: whileDown)) after \(Date().timeIntervalSince(downStarted)) s")
        }
        XCTAssertLessThan(Date().timeIntervalSince(downStarted), 0.6)
        try redis.start()
        waitConnected(connection)
        XCTAssertEqual(waitFor { connection.send(["PING"], completion: $0) } as Reply?, .success(.status("PONG")))
        XCTAssertEqual(results.withLock { $0.count }, 1)
    }

    func testCloseFailsOpenCommandsWithClosedAndRefusesNewOnes() throws {
        let connection = RedisConnection(url: redisURL, loop: loop, logger: quietLogger)
        connection.start()
        waitConnected(connection)
        let results = Mutex<[Reply]>([])
        let done = DispatchSemaphore(value: 0)
        connection.send(["BLPOP", "never:\(UUID().uuidString)", "10"], timeoutMilliseconds: 8000) { result in
            results.withLock { $0.append(result) }
            done.signal()
        }
        usleep(100_000)
        let closed = DispatchSemaphore(value: 0)
        connection.close { closed.signal() }
        XCTAssertEqual(closed.wait(timeout: .now() + 2), .success)
        XCTAssertEqual(done.wait(timeout: .now() + 1), .success)
        XCTAssertEqual(results.withLock { $0 }, [.failure(.closed)])
        XCTAssertEqual(waitFor { connection.send(["PING"], completion: $0) } as Reply?, .failure(.closed))
        XCTAssertEqual(connection.state, .down)
    }

    func testManyPipelinedCommandsEachCompleteOnceInOrder() throws {
        let connection = connection()
        waitConnected(connection)
        let key = "seq:\(UUID().uuidString)"
        let results = Mutex<[Int64]>([])
        let group = DispatchGroup()
        for _ in 0..<500 {
            group.enter()
            connection.send(["INCR", key]) { result in
                if case .success(.integer(let n)) = result { results.withLock { $0.append(n) } }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(results.withLock { $0 }, Array(1...500))
    }
}
