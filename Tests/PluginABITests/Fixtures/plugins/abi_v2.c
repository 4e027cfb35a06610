/*
 * abi_v2 — an otherwise valid TOOL plugin whose entry claims abi_major 2.
 *
 * The loader MUST refuse it before calling init (or anything else besides the entry function),
 * with an error naming both majors (plugin 2, host 1): a different major never loads, because
 * nothing about a 2.x plugin's structs or call contracts can be assumed by a 1.x host.
 */
#include "fixture_common.h"

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "abi_two_echo", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.agenthost.fixtures.abi-two",
    .display_name = "ABI Two",
    .version = "1.0.0",
    .description = "Claims plugin ABI 2.0; a 1.x host must refuse it.",
    .required_extensions = NULL,
    .agent = NULL,
    .tool = &tool_profile,
};

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), 2, 0, AH_TOOLCHAIN_NONE,
        fixture_init_ok, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
