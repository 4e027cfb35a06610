/*
 * failing_init — a valid ABI 1.0 TOOL plugin whose init fails with AH_ERR_FAILED and the
 * message "fixture: license file missing".
 *
 * The loader MUST refuse the plugin, report the plugin's own message verbatim (it is the only
 * clue the operator gets), never ask it for a factory or create an instance, and never call
 * its shutdown (entry.h: a plugin whose init fails is not used and shutdown is not called).
 */
#include "fixture_common.h"

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), "failing_init_echo", FIXTURE_ECHO_SCHEMA,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.agenthost.fixtures.failing-init",
    .display_name = "Failing Init",
    .version = "1.0.0",
    .description = "Its init always fails; the host must not use it.",
    .required_extensions = NULL,
    .agent = NULL,
    .tool = &tool_profile,
};

/* Fails the way a real plugin would when a file it needs is absent. */
static ah_status_t failing_init(const char *plugin_path, ah_error_t *error) {
    (void)plugin_path;
    fixture_set_error(error, "fixture: license file missing");
    return AH_ERR_FAILED;
}

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), 1, 0, AH_TOOLCHAIN_NONE,
        failing_init, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
