import HostTenancy
import XCTest

final class APIKeysTests: XCTestCase {
    func testHashIsPrefixedLowercaseSHA256Hex() {
        // Known SHA-256 vectors.
        XCTAssertEqual(APIKeys.hash(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(APIKeys.hash("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // The key of config/example.yaml's acme tenant.
        XCTAssertEqual(APIKeys.hash("acme-demo-key"), "sha256:8676d15d94dabdd1283e6c407e2bb08a7b5c13b4e3667d4795c17172e080a3d4")
        // UTF-8 bytes, not UTF-16.
        XCTAssertEqual(APIKeys.hash("é"), "sha256:4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c")
        XCTAssertNotEqual(APIKeys.hash("é"), APIKeys.hash("e"))
        XCTAssertTrue(APIKeys.isValidHash(APIKeys.hash("anything")))
    }

    func testValidHashFormat() {
        let digits = String(repeating: "a", count: 64)
        XCTAssertTrue(APIKeys.isValidHash("sha256:" + digits))
        XCTAssertTrue(APIKeys.isValidHash("sha256:" + digits.uppercased()))
        XCTAssertFalse(APIKeys.isValidHash("sha256:" + digits.dropLast()))
        XCTAssertFalse(APIKeys.isValidHash("sha256:" + digits + "a"))
        XCTAssertFalse(APIKeys.isValidHash("sha256:" + digits.dropLast() + "g"))
        XCTAssertFalse(APIKeys.isValidHash("SHA256:" + digits))
        XCTAssertFalse(APIKeys.isValidHash("md5:" + digits))
        XCTAssertFalse(APIKeys.isValidHash(digits))
        XCTAssertFalse(APIKeys.isValidHash("acme-demo-key"))
    }

    func testVerifyAgainstStoredHashes() {
        let hashes = [APIKeys.hash("old-key"), APIKeys.hash("new-key")]
        XCTAssertTrue(APIKeys.verify("old-key", against: hashes))
        XCTAssertTrue(APIKeys.verify("new-key", against: hashes))
        XCTAssertFalse(APIKeys.verify("other-key", against: hashes))
        XCTAssertFalse(APIKeys.verify("new-key ", against: hashes))
        XCTAssertFalse(APIKeys.verify("", against: hashes + [APIKeys.hash("")]), "an empty key never matches")
        XCTAssertFalse(APIKeys.verify("new-key", against: []))
        // A stored hash written in upper case still matches.
        XCTAssertTrue(APIKeys.verify("new-key", against: ["sha256:" + APIKeys.hash("new-key").dropFirst(7).uppercased()]))
        // The stored hash itself is not a key.
        XCTAssertFalse(APIKeys.verify(hashes[0], against: hashes))
    }

    func testBearerToken() {
        XCTAssertEqual(APIKeys.bearerToken(fromAuthorization: "Bearer abc123"), "abc123")
        XCTAssertEqual(APIKeys.bearerToken(fromAuthorization: "bearer   abc123 "), "abc123")
        XCTAssertNil(APIKeys.bearerToken(fromAuthorization: "Basic dXNlcjpwYXNz"))
        XCTAssertNil(APIKeys.bearerToken(fromAuthorization: "Bearer"))
        XCTAssertNil(APIKeys.bearerToken(fromAuthorization: ""))
        XCTAssertNil(APIKeys.bearerToken(fromAuthorization: nil))
    }

    func testTenantPolicyAcceptsKeys() {
        let open = TenantPolicy(id: "open")
        XCTAssertFalse(open.requiresKey)
        XCTAssertTrue(open.accepts(key: nil))
        XCTAssertTrue(open.accepts(key: "whatever"))

        let locked = TenantPolicy(id: "locked", apiKeyHashes: [APIKeys.hash("s3cret")])
        XCTAssertTrue(locked.requiresKey)
        XCTAssertTrue(locked.accepts(key: "s3cret"))
        XCTAssertFalse(locked.accepts(key: nil))
        XCTAssertFalse(locked.accepts(key: ""))
        XCTAssertFalse(locked.accepts(key: "S3CRET"))
    }
}
