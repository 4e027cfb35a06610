/*
 * agent-host plugin ABI — the agent interface (AH_PLUGIN_KIND_AGENT instances).
 *
 * A turn is driven in steps. For the caller's input the host asks the current agent for a step;
 * the agent acts through the host table (say, call tools, hand off, escalate, end, set state) and
 * finishes the step with host->agent_step_done. Tool results arrive through on_tool_result while
 * the step is open, so the agent can continue with them. After the step: a handoff gives the next
 * agent a step on the same input; otherwise the turn ends (`turn_end`).
 *
 * The step's context is JSON (schema in docs/abi.md, keys only ever added):
 *   session_id, tenant, caller {id, returning}, turn (number), input,
 *   history [{role: "user"|"agent", agent?, text}], previous_sessions [...],
 *   handoff_targets [{id, name, description, examples[]}], tools [{name, description, parameters}],
 *   handed_off_from {id, name, reason}?, state (this agent's scratch state or null),
 *   entry_agent {id, name} (the tenant's triage, where departments send what they do not handle).
 */
#ifndef AGENT_HOST_AGENT_H
#define AGENT_HOST_AGENT_H

#include "common.h"
#include "status.h"
#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_AGENT_INTERFACE_ID "agent_host.agent/1"

typedef struct ah_agent_step {
    uint32_t struct_size;
    uint64_t step_id;                 /* pass to host->agent_* actions; unique per host process */
    const char *session_id;
    const char *input;                /* the caller's words for this turn (UTF-8) */
    size_t input_len;
    const char *context_json;         /* the context object described above */
    size_t context_len;
} ah_agent_step_t;

typedef struct ah_agent {
    uint32_t struct_size;

    /* [session-thread] Starts a step. Must return promptly; it may act and finish the step before
     * returning, or later from any thread. `step` and what it points to are valid only during the
     * call. AH_OK: exactly one host->agent_step_done(step_id) follows. A failure status with
     * `error` filled: no step was started and no actions are accepted for it. */
    ah_status_t (*step)(const ah_plugin_t *plugin, const ah_agent_step_t *step, ah_error_t *error);

    /* [session-thread] The result of a tool the open step `step_id` called. `output` is valid only
     * during the call. status AH_OK: the tool's output; otherwise why it failed. */
    void (*on_tool_result)(const ah_plugin_t *plugin, uint64_t step_id, uint64_t call_id,
                           ah_status_t status, const char *output, size_t output_len);

    /* [session-thread] The host abandons step `step_id` (caller hung up or barged in, turn
     * timeout). The agent stops soon and still calls agent_step_done exactly once. */
    void (*cancel)(const ah_plugin_t *plugin, uint64_t step_id);
} ah_agent_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_agent_step_t) == 56, "ah_agent_step_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_agent_t) == 32, "ah_agent_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
