/*
 * frozen_echo — a valid ABI 1.0 TOOL plugin, built from the frozen 1.0 headers.
 *
 * The loader MUST load it, list "com.agenthost.fixtures.frozen-echo" ("Frozen Echo"), create an
 * instance and route tool "frozen_echo" to it; invoking the tool completes synchronously with the
 * arguments JSON unchanged as the output. This holds for every 1.x host: it is what a plugin
 * compiled against 1.0 looks like, and a 1.x host that cannot run it has broken the ABI.
 */
#include "fixture_common.h"

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "frozen_echo", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.agenthost.fixtures.frozen-echo",
    .display_name = "Frozen Echo",
    .version = "1.0.0",
    .description = "Echoes its arguments back unchanged (ABI 1.0 compatibility fixture).",
    .required_extensions = NULL,
    .agent = NULL,
    .tool = &tool_profile,
};

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), AH_ABI_VERSION_MAJOR, AH_ABI_VERSION_MINOR, AH_TOOLCHAIN_NONE,
        fixture_init_ok, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
