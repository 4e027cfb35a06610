/*
 * duplicate_id — a valid ABI 1.0 TOOL plugin whose id is the same as frozen_echo's:
 * "com.agenthost.fixtures.frozen-echo" (display name "Duplicate Echo", tool "duplicate_echo").
 *
 * Loaded on its own it is fine. Loaded together with frozen_echo, the loader MUST refuse the
 * second one it meets, with an error naming the id and both files, and keep the first: plugin
 * ids are unique per host, and silently letting one shadow the other would route a tenant's
 * calls to code the operator did not mean to run.
 */
#include "fixture_common.h"

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "duplicate_echo", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.agenthost.fixtures.frozen-echo",
    .display_name = "Duplicate Echo",
    .version = "1.0.0",
    .description = "Reuses frozen_echo's plugin id; must not load beside it.",
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
