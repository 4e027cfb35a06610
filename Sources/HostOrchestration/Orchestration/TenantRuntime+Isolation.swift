import HostPlugins

/// Chooses, per component, an in-process instance or one in the tenant's runner for its file.

extension TenantRuntime {
    static func instantiate(_ componentID: String, from plugin: LoadedPlugin, configuration: TenantConfiguration,
                            services: HostServices) throws(PluginInstance.Failure) -> any ComponentInstance {
        let isolation = configuration.isolation(for: componentID)
        let settings = configuration.settings[componentID] ?? "{}"
        guard isolation.mode == .process else {
            return try PluginInstance.create(componentID, from: plugin, tenantID: configuration.id, settingsJSON: settings,
                                             grantedExtensions: configuration.grantedExtensions, services: services)
        }
        // One runner per (tenant, file): it gets the largest cap among the file's isolated components.
        let cap = plugin.components.map { configuration.isolation(for: $0.id) }
            .filter { $0.mode == .process }.map(\.maxMemoryMB).max() ?? isolation.maxMemoryMB
        let runner = try services.runners.runner(tenant: configuration.id, path: plugin.path, maxMemoryMB: cap, services: services)
        return try IsolatedInstance.create(componentID, from: plugin, runner: runner, settingsJSON: settings,
                                           grantedExtensions: configuration.grantedExtensions, services: services)
    }
}
