/*
 * future_minor_ok — a TOOL plugin built against a newer minor, ABI 1.9, that requires no
 * extensions (required_extensions NULL).
 *
 * A 1.0 host MUST load and run it like frozen_echo (tool "future_ok_echo" echoes its
 * arguments): version.h says a 1.x plugin loads in an older 1.y host when every extension it
 * requires is provided, and it requires none. Refusing it would make every minor ABI release
 * force all plugins to be rebuilt for old hosts.
 */
#include "fixture_common.h"

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "future_ok_echo", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.agenthost.fixtures.future-ok",
    .display_name = "Future OK",
    .version = "1.0.0",
    .description = "Built against ABI 1.9 but needs nothing a 1.0 host lacks.",
    .required_extensions = NULL,
    .agent = NULL,
    .tool = &tool_profile,
};

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), 1, 9, AH_TOOLCHAIN_NONE,
        fixture_init_ok, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
