/*
 * foreign_toolchain — ABI 1.0, but the entry names a Swift toolchain that is not the host's:
 * "swift (clang 0.0.0 foreign-toolchain)". It simulates a Swift plugin built by another toolchain.
 *
 * The loader MUST NOT init it in the host: Swift has no stable runtime ABI on Linux, so a Swift
 * plugin from a different toolchain could corrupt the host's Swift runtime. The plugin runner
 * (no Swift runtime of its own) describes it instead, and it runs only with `isolation: process`;
 * creating it in-process fails quoting both toolchain strings. (Plugins that say
 * AH_TOOLCHAIN_NONE, like C ones, are never restricted for this.)
 */
#include "fixture_common.h"

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "foreign_echo", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.agenthost.fixtures.foreign-toolchain",
    .display_name = "Foreign Toolchain",
    .version = "1.0.0",
    .description = "Pretends to be a Swift plugin from a different Swift toolchain.",
    .required_extensions = NULL,
    .agent = NULL,
    .tool = &tool_profile,
};

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), 1, 0, "swift (clang 0.0.0 foreign-toolchain)",
        fixture_init_ok, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
