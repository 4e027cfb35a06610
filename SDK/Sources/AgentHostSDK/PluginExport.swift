import AgentHostToolchain
import Foundation
import PluginABI
import Synchronization

/// Exports a plugin's agents and tools through the C ABI. A plugin needs exactly one declaration:
///
///     @_cdecl("agent_host_plugin_entry")
///     public func agentHostPluginEntry() -> UnsafeRawPointer {
///         PluginExport.entry([BillingAgent.self, LookupOrder.self])
///     }
///
/// The first call builds the entry, factory and descriptors in static storage; later calls return
/// the same pointer. Everything the host calls is wrapped so that no Swift error, and no
/// trap-prone conversion, crosses the boundary: failures become status codes and messages.
public enum PluginExport {
    public static func entry(_ components: [any PluginComponent.Type]) -> UnsafeRawPointer {
        exportedPlugin.withLock { exported in
            if let exported { return UnsafeRawPointer(exported.entry) }
            let built = ExportedPlugin(components: components)
            exported = built
            return UnsafeRawPointer(built.entry)
        }
    }

    static func component(withID id: String) -> (any PluginComponent.Type, UnsafePointer<ah_plugin_descriptor_t>)? {
        exportedPlugin.withLock { exported in
            guard let exported, let index = exported.ids.firstIndex(of: id) else { return nil }
            return (exported.components[index], UnsafePointer(exported.descriptors[index]))
        }
    }

    static var factoryPointer: UnsafeRawPointer? {
        exportedPlugin.withLock { $0.map { UnsafeRawPointer($0.factory) } }
    }

    static var descriptorPointers: [UnsafeMutablePointer<ah_plugin_descriptor_t>] {
        exportedPlugin.withLock { $0?.descriptors ?? [] }
    }
}

/// The plugin's static C structures. Built once, never freed: the host may use them until
/// shutdown and the image is never unloaded.
final class ExportedPlugin: @unchecked Sendable {
    // @unchecked: immutable after init; the pointers target memory nobody writes again.
    let components: [any PluginComponent.Type]
    let ids: [String]
    let descriptors: [UnsafeMutablePointer<ah_plugin_descriptor_t>]
    let factory: UnsafeMutablePointer<ah_plugin_factory_t>
    let entry: UnsafeMutablePointer<ah_plugin_entry_t>

    init(components: [any PluginComponent.Type]) {
        self.components = components
        self.ids = components.map { $0.id }
        self.descriptors = components.map(ExportedPlugin.makeDescriptor)

        factory = .allocate(capacity: 1)
        factory.initialize(to: ah_plugin_factory_t(
            struct_size: UInt32(MemoryLayout<ah_plugin_factory_t>.size),
            get_plugin_count: { _ in UInt32(PluginExport.descriptorPointers.count) },
            get_plugin_descriptor: { _, index in
                let all = PluginExport.descriptorPointers
                return Int(index) < all.count ? UnsafePointer(all[Int(index)]) : nil
            },
            create_plugin: createPlugin))

        entry = .allocate(capacity: 1)
        entry.initialize(to: ah_plugin_entry_t(
            struct_size: UInt32(MemoryLayout<ah_plugin_entry_t>.size),
            abi_major: UInt16(AH_ABI_VERSION_MAJOR),
            abi_minor: UInt16(AH_ABI_VERSION_MINOR),
            toolchain: agent_host_swift_toolchain_id(),
            init: { _, _ in AH_OK },
            shutdown: {},
            get_factory: { id in
                guard let id, strcmp(id, AH_PLUGIN_FACTORY_ID) == 0 else { return nil }
                return PluginExport.factoryPointer
            }))
    }

    static func makeDescriptor(_ type: any PluginComponent.Type) -> UnsafeMutablePointer<ah_plugin_descriptor_t> {
        var descriptor = ah_plugin_descriptor_t()
        descriptor.struct_size = UInt32(MemoryLayout<ah_plugin_descriptor_t>.size)
        descriptor.id = ABIText.permanent(type.id)
        descriptor.display_name = ABIText.permanent(type.displayName)
        descriptor.version = ABIText.permanent(type.version)
        descriptor.description = ABIText.permanent(type.description)
        descriptor.required_extensions = ABIText.permanentList(type.requiredExtensions)
        if let agent = type as? any Agent.Type {
            let profile = agent.profile
            let c = UnsafeMutablePointer<ah_agent_profile_t>.allocate(capacity: 1)
            c.initialize(to: ah_agent_profile_t(
                struct_size: UInt32(MemoryLayout<ah_agent_profile_t>.size),
                handoff_description: ABIText.permanent(profile.handoffDescription),
                example_utterances: ABIText.permanentList(profile.examples),
                instructions: profile.instructions.map(ABIText.permanent),
                tool_names: ABIText.permanentList(profile.tools)))
            descriptor.kind = AH_PLUGIN_KIND_AGENT
            descriptor.agent = UnsafePointer(c)
        } else if let tool = type as? any Tool.Type {
            let c = UnsafeMutablePointer<ah_tool_profile_t>.allocate(capacity: 1)
            c.initialize(to: ah_tool_profile_t(
                struct_size: UInt32(MemoryLayout<ah_tool_profile_t>.size),
                name: ABIText.permanent(tool.name),
                parameters_schema: ABIText.permanent(tool.parameters.jsonString())))
            descriptor.kind = AH_PLUGIN_KIND_TOOL
            descriptor.tool = UnsafePointer(c)
        }
        // A component that is neither keeps kind 0; the host refuses it with a clear message.
        let pointer = UnsafeMutablePointer<ah_plugin_descriptor_t>.allocate(capacity: 1)
        pointer.initialize(to: descriptor)
        return pointer
    }
}

private let exportedPlugin = Mutex<ExportedPlugin?>(nil)

/// factory->create_plugin: builds the Swift component for one tenant inside a box the C
/// instance owns. Every failure is a status plus message, never a trap.
private let createPlugin: @convention(c) (
    UnsafePointer<ah_plugin_factory_t>?, UnsafePointer<ah_host_t>?, UnsafePointer<CChar>?,
    UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafePointer<ah_plugin_t>?>?,
    UnsafeMutablePointer<ah_error_t>?
) -> ah_status_t = { _, host, pluginID, settingsJSON, settingsLength, out, errorOut in
    guard let host, let pluginID, let out else {
        ABIText.write("create_plugin: host, plugin id and output pointer are required", to: errorOut)
        return AH_ERR_INVALID_ARGUMENT
    }
    let id = String(cString: pluginID)
    guard let (type, descriptor) = PluginExport.component(withID: id) else {
        ABIText.write("this plugin does not provide '\(id)'", to: errorOut)
        return AH_ERR_NOT_FOUND
    }
    let pluginHost = PluginHost(raw: host)
    do {
        let settingsText = ABIText.string(settingsJSON, settingsLength)
        let settings = try settingsText.isEmpty ? JSONValue.object([:]) : JSONValue.parse(settingsText)
        guard case .object = settings else {
            throw PluginError.invalidArgument("settings must be a JSON object")
        }
        let box = try InstanceBox.make(type, host: pluginHost, settings: PluginSettings(json: settings))
        out.pointee = UnsafePointer(box.makeCInstance(descriptor: descriptor))
        return AH_OK
    } catch {
        let (status, message) = PluginError.statusAndMessage(for: error)
        ABIText.write("\(id): \(message)", to: errorOut)
        return status
    }
}
