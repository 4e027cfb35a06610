/*
 * agent_fixture — a valid ABI 1.0 AGENT plugin, "com.agenthost.fixtures.echo-agent"
 * ("Echo Agent").
 *
 * The loader MUST load it and accept its agent profile (handoff description, three example
 * utterances, instructions, tool_names {"frozen_echo"}). Each step says "You said: <input>" via
 * host->agent_say and then finishes with host->agent_step_done(AH_OK), both before step()
 * returns, so a test can drive a whole turn through the real ABI and check the reply text.
 */
#define FIXTURE_AGENT 1
#include "fixture_common.h"

static const char *const example_utterances[] = {
    "repeat after me", "echo this back to me", "can you say what I just said", NULL,
};

static const char *const tool_names[] = { "frozen_echo", NULL };

static const ah_agent_profile_t agent_profile = {
    .struct_size = sizeof(ah_agent_profile_t),
    .handoff_description = "Repeats back what the caller said (ABI test fixture).",
    .example_utterances = example_utterances,
    .instructions = "Repeat the caller's words, prefixed with 'You said: '.",
    .tool_names = tool_names,
};

static const ah_plugin_descriptor_t fixture_descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_AGENT,
    .id = "com.agenthost.fixtures.echo-agent",
    .display_name = "Echo Agent",
    .version = "1.0.0",
    .description = "Says back whatever the caller said.",
    .required_extensions = NULL,
    .agent = &agent_profile,
    .tool = NULL,
};

/* Says "You said: <input>" and finishes the step synchronously. A say that the host refuses
 * finishes the step with that status so the failure is visible to the test. */
static ah_status_t echo_step(const ah_plugin_t *plugin, const ah_agent_step_t *step,
                             ah_error_t *error) {
    if (plugin == NULL || step == NULL) {
        fixture_set_error(error, "fixture: step needs a plugin and a step");
        return AH_ERR_INVALID_ARGUMENT;
    }
    const ah_host_t *host = fixture_host(plugin);
    static const char prefix[] = "You said: ";
    size_t input_len = step->input != NULL ? step->input_len : 0;
    size_t len = sizeof prefix - 1 + input_len;
    char *text = malloc(len + 1);
    if (text == NULL) {
        fixture_set_error(error, "fixture: out of memory");
        return AH_ERR_FAILED;
    }
    memcpy(text, prefix, sizeof prefix - 1);
    if (input_len > 0) memcpy(text + sizeof prefix - 1, step->input, input_len);
    text[len] = '\0';
    ah_status_t said = host->agent_say(host, step->step_id, text, len);
    free(text);
    host->agent_step_done(host, step->step_id, said, said == AH_OK ? NULL : "fixture: say failed");
    return AH_OK;
}

/* The agent never calls a tool, so there is no result to expect; ignoring one is harmless. */
static void echo_on_tool_result(const ah_plugin_t *plugin, uint64_t step_id, uint64_t call_id,
                                ah_status_t status, const char *output, size_t output_len) {
    (void)plugin, (void)step_id, (void)call_id, (void)status, (void)output, (void)output_len;
}

/* Steps finish inside step(), so by the time a cancel could arrive the step is already done
 * and agent_step_done has been called: there is nothing to stop. */
static void echo_cancel(const ah_plugin_t *plugin, uint64_t step_id) {
    (void)plugin, (void)step_id;
}

static const ah_agent_t fixture_agent = {
    sizeof(ah_agent_t), echo_step, echo_on_tool_result, echo_cancel,
};

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), AH_ABI_VERSION_MAJOR, AH_ABI_VERSION_MINOR, AH_TOOLCHAIN_NONE,
        fixture_init_ok, fixture_shutdown, fixture_get_factory,
    };
    return &entry;
}
