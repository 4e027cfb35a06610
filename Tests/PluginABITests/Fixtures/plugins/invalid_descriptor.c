/*
 * invalid_descriptor — a valid entry and factory, but the one descriptor is invalid: its id is
 * "not a reverse dns id" and its display_name is NULL.
 *
 * The loader MUST refuse the plugin at load time (after init, when it reads the descriptors),
 * with an error that names what is wrong (the id is not reverse-DNS; display_name is missing),
 * and MUST NOT crash on the NULL: descriptors come from third-party code, so the host validates
 * every field before it lists, routes to or creates the plugin.
 */
#include "fixture_common.h"

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "invalid_descriptor", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "not a reverse dns id",
    .display_name = NULL,
    .version = "1.0.0",
    .description = "A descriptor with a malformed id and no display name.",
    .required_extensions = NULL,
    .agent = NULL,
    .tool = &tool_profile,
};

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), 1, 0, AH_TOOLCHAIN_NONE,
        fixture_init_ok, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
