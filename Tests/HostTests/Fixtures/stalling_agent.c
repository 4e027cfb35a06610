/*
 * stalling_agent — an ABI 1.0 AGENT plugin that breaks the rule that plugins never block the
 * host's loop: each step busy-waits 120 ms before it answers "Done." and finishes. The loop-stall
 * watchdog must log and count the stall naming "com.agenthost.fixtures.stalling-agent step".
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime under -std=c11 */
#define FIXTURE_AGENT 1
#include "../../PluginABITests/Fixtures/plugins/fixture_common.h"

#include <time.h>

static const char *const example_utterances[] = { "take your time", NULL };
static const char *const tool_names[] = { NULL };

static const ah_agent_profile_t agent_profile = {
    .struct_size = sizeof(ah_agent_profile_t),
    .handoff_description = "Answers slowly, blocking the loop (watchdog test fixture).",
    .example_utterances = example_utterances,
    .instructions = "Say 'Done.' after a while.",
    .tool_names = tool_names,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_AGENT,
    .id = "com.agenthost.fixtures.stalling-agent",
    .display_name = "Stalling Agent",
    .version = "1.0.0",
    .description = "Blocks the calling thread for 120 ms per step.",
    .required_extensions = NULL,
    .agent = &agent_profile,
    .tool = NULL,
};

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Spins (as CPU-bound plugin code would) for 120 ms, then answers within the step. */
static ah_status_t stalling_step(const ah_plugin_t *plugin, const ah_agent_step_t *step, ah_error_t *error) {
    if (plugin == NULL || step == NULL) {
        fixture_set_error(error, "fixture: step needs a plugin and a step");
        return AH_ERR_INVALID_ARGUMENT;
    }
    const double until = now_seconds() + 0.120;
    while (now_seconds() < until) {}
    const ah_host_t *host = fixture_host(plugin);
    ah_status_t said = host->agent_say(host, step->step_id, "Done.", 5);
    host->agent_step_done(host, step->step_id, said, said == AH_OK ? NULL : "fixture: say failed");
    return AH_OK;
}

static void stalling_on_tool_result(const ah_plugin_t *plugin, uint64_t step_id, uint64_t call_id,
                                    ah_status_t status, const char *output, size_t output_len) {
    (void)plugin, (void)step_id, (void)call_id, (void)status, (void)output, (void)output_len;
}

static void stalling_cancel(const ah_plugin_t *plugin, uint64_t step_id) {
    (void)plugin, (void)step_id;
}

static const ah_agent_t fixture_agent = {
    sizeof(ah_agent_t), stalling_step, stalling_on_tool_result, stalling_cancel,
};

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), AH_ABI_VERSION_MAJOR, AH_ABI_VERSION_MINOR, AH_TOOLCHAIN_NONE,
        fixture_init_ok, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
