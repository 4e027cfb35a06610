import Foundation
import Glibc

/// `HostProcessTestCase` with the Twilio REST stand-in running for every test (Twilio is a paid
/// service: `TwilioRESTStandIn` answers as its API does), for suites serving Twilio calls.
class TwilioHostTestCase: HostProcessTestCase {
    var twilio: TwilioRESTStandIn!

    override func setUpWithError() throws {
        try super.setUpWithError()
        twilio = try TwilioRESTStandIn()
    }

    override func tearDown() {
        twilio?.stop()
        super.tearDown()
    }

    /// The stand-in's auth token in a mode-600 file of the test's directory (as operators keep it),
    /// for a tenant's `twilio: {auth_token_file: …}`.
    func twilioTokenFile() throws -> String {
        let tokenFile = directory.file("twilio-token")
        try twilio.authToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        return tokenFile
    }
}
