import Host
import HostVoice
import TestSupport
import XCTest

/// A tenant's voice stack is built from the phrases its agents ship: the first are the warm
/// decoders' warm-up audio and they are the completeness model's training order. They used to be
/// taken in the order of a dictionary, which Swift seeds afresh in every process, so each start
/// recognised and judged the same audio differently (docs/benchmarks.md, "Semantic turn detection").
final class VoicePhraseOrderTests: XCTestCase {
    func testATenantsPhrasesComeInTheOrderOfItsAgentsNames() throws {
        let deployment = try LocalDeployment(pluginDirectories: [BuildProducts.directory])
        defer { deployment.shutdown() }
        let tenant = deployment.tenant
        XCTAssertGreaterThan(tenant.agents.count, 2, "the reference tenant has several agents")
        let phrases = VoiceServices.phrases(for: tenant)
        // Each agent's phrases, agents by name: a fixed order, not the dictionary's.
        var expected: [String] = []
        for name in tenant.agents.keys.sorted() {
            let descriptor = tenant.agents[name]!.instance.descriptor.agent
            expected += ((descriptor?.examples ?? []) + [descriptor?.handoffDescription ?? ""]).filter { !$0.isEmpty }
        }
        XCTAssertEqual(phrases, expected)
        XCTAssertEqual(VoiceServices.phrases(for: tenant), phrases, "asked again, the same order")
    }
}
