import Foundation
import Host
import HostPlugins
import TestSupport
import XCTest

/// The commerce tools declare no hand-written schema: each is derived from the tool's Arguments
/// struct, with descriptions and bounds from DescribedArguments, and reaches the host intact.
final class DerivedSchemaTests: XCTestCase {
    func schema(_ id: String) throws -> [String: Any] {
        let catalog = PluginLoader(directories: [BuildProducts.directory]).loadAll()
        let component = try XCTUnwrap(catalog.component(id), id)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(component.tool!.parametersSchema.utf8)) as? [String: Any])
    }

    func testProcessRefundsSchemaComesFromItsArgumentsWithItsDetails() throws {
        let schema = try schema("com.agenthost.commerce.process-refund")
        XCTAssertEqual(schema["type"] as? String, "object")
        XCTAssertEqual(schema["required"] as? [String], ["order_id", "reason"], "amount is optional in the struct")
        XCTAssertEqual(schema["additionalProperties"] as? Bool, false)
        let properties = try XCTUnwrap(schema["properties"] as? [String: [String: Any]])
        XCTAssertEqual(Set(properties.keys), ["order_id", "reason", "amount"])
        XCTAssertEqual(properties["order_id"]?["type"] as? String, "string")
        XCTAssertEqual(properties["order_id"]?["pattern"] as? String, "^ORD-\\d{5}$")
        XCTAssertEqual(properties["amount"]?["type"] as? String, "number")
        XCTAssertEqual(properties["amount"]?["exclusiveMinimum"] as? Int, 0)
        XCTAssertEqual(properties["reason"]?["maxLength"] as? Int, 500)
    }

    func testSearchFAQKeepsItsIntegerBoundsAndDefault() throws {
        let properties = try XCTUnwrap(try schema("com.agenthost.commerce.search-faq")["properties"] as? [String: [String: Any]])
        XCTAssertEqual(properties["top_k"]?["type"] as? String, "integer")
        XCTAssertEqual(properties["top_k"]?["maximum"] as? Int, 10)
        XCTAssertEqual(properties["top_k"]?["default"] as? Int, 3)
    }
}
