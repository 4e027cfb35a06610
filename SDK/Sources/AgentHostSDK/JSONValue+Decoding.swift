import Foundation

extension JSONValue {
    /// Decodes this value into a Decodable type (e.g. a settings struct).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let data = Data(jsonString().utf8)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw PluginError.invalidArgument(PluginError.describe(error))
        }
    }
}
