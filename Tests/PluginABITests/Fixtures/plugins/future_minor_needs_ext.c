/*
 * future_minor_needs_ext — a TOOL plugin built against ABI 1.9 that requires the extension
 * "agent_host.teleport/3", which no 1.0 host provides.
 *
 * A 1.0 host MUST refuse it at load time with an error naming the missing extension
 * "agent_host.teleport/3" (version.h: a newer-minor plugin loads in an older host only when
 * every required extension is provided). Loading it anyway would let it fail later, mid-call,
 * in front of a caller.
 */
#include "fixture_common.h"

static const char *const required_extensions[] = { "agent_host.teleport/3", NULL };

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "future_needs_ext_echo", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.agenthost.fixtures.future-needs-ext",
    .display_name = "Future Needs Extension",
    .version = "1.0.0",
    .description = "Built against ABI 1.9 and requires an extension a 1.0 host lacks.",
    .required_extensions = required_extensions,
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
