import AgentHostSDK
import XCTest

/// A tool's parameter schema is derived from its Decodable `Arguments` type.
final class ArgumentSchemaTests: XCTestCase {
    struct Quote: Decodable, Sendable, DescribedArguments {
        let sku: String
        let quantity: Int
        let gift: Bool?
        let discount: Double?
        static let argumentDetails: [String: JSONValue] = [
            "sku": ["description": "Catalogue item id, e.g. MUG-01"],
            "quantity": ["minimum": 1],
        ]
    }

    enum Department: String, Decodable, CaseIterable {
        case billing, refunds, general
    }

    struct Line: Decodable {
        let name: String
        let count: Int?
    }

    struct Nested: Decodable {
        let department: Department
        let lines: [Line]
        let tags: [String]?
        let renamed: String

        enum CodingKeys: String, CodingKey { case department, lines, tags, renamed = "order_id" }
    }

    func testPropertiesTypesAndRequiredComeFromTheStruct() {
        let schema = ArgumentSchema.derive(Quote.self)
        XCTAssertEqual(schema, [
            "type": "object",
            "properties": [
                "sku": ["type": "string", "description": "Catalogue item id, e.g. MUG-01"],
                "quantity": ["type": "integer", "minimum": 1],
                "gift": ["type": "boolean"],
                "discount": ["type": "number"],
            ],
            "required": ["sku", "quantity"],
            "additionalProperties": false,
        ])
    }

    func testEnumsArraysNestedObjectsAndCodingKeys() {
        let schema = ArgumentSchema.derive(Nested.self)
        XCTAssertEqual(schema["properties"]?["department"], ["type": "string", "enum": ["billing", "refunds", "general"]])
        XCTAssertEqual(schema["properties"]?["lines"], [
            "type": "array",
            "items": ["type": "object", "properties": ["name": ["type": "string"], "count": ["type": "integer"]],
                      "required": ["name"], "additionalProperties": false],
        ])
        XCTAssertEqual(schema["properties"]?["tags"], ["type": "array", "items": ["type": "string"]])
        XCTAssertEqual(schema["properties"]?["order_id"], ["type": "string"], "the JSON name, not the Swift one")
        XCTAssertEqual(schema["required"], ["department", "lines", "order_id"])
    }

    func testRawArgumentsAcceptAnyObject() {
        XCTAssertEqual(ArgumentSchema.derive(RawJSONArguments.self), ["type": "object", "additionalProperties": true])
    }

    struct Picky: Decodable {
        let code: String
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            code = try c.decode(String.self, forKey: .code)
            guard !code.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .code, in: c, debugDescription: "empty") }
        }
        enum CodingKeys: String, CodingKey { case code }
    }

    func testATypeThatRejectsPlaceholdersGetsAPermissiveSchema() {
        XCTAssertEqual(ArgumentSchema.derive(Picky.self), ["type": "object", "additionalProperties": true],
                       "such a tool declares parameters itself (docs/writing-plugins.md)")
    }

    struct DerivedTool: SynchronousTool {
        static let id = "com.example.derived"
        static let displayName = "Derived"
        static let version = "1.0.0"
        static let description = "Has no hand-written schema."
        static let name = "derived"
        typealias Arguments = Quote
        init(host: PluginHost, settings: PluginSettings) {}
        func callSynchronously(_ arguments: Quote, context: ToolCallContext) throws -> String { "" }
    }

    func testAToolWithoutParametersUsesTheDerivedSchema() {
        XCTAssertEqual(DerivedTool.parameters, ArgumentSchema.derive(Quote.self))
        XCTAssertEqual(DerivedTool.parameters["required"], ["sku", "quantity"])
    }
}
