/*
 * agent-host plugin ABI — the host table.
 *
 * Each instance receives its own host table, scoped to one tenant. Through it the plugin logs,
 * completes asynchronous work (tool calls, agent steps) and looks up services by extension id.
 * A service the tenant is not granted is NULL: plugins must handle NULL from get_extension.
 *
 * Completions are the reason plugin calls can return promptly: anything slow (HTTP, model calls,
 * computation) finishes later by calling one of these functions, from any thread.
 */
#ifndef AGENT_HOST_HOST_H
#define AGENT_HOST_HOST_H

#include "common.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_LOG_DEBUG   0
#define AH_LOG_INFO    1
#define AH_LOG_WARNING 2
#define AH_LOG_ERROR   3

typedef struct ah_host {
    uint32_t struct_size;
    uint16_t abi_major;          /* the host's ABI version (may be newer than the plugin's) */
    uint16_t abi_minor;
    const char *host_name;       /* "agent-host" */
    const char *host_version;    /* the host's release, e.g. "0.1.0" */
    const char *tenant_id;       /* the tenant this instance serves */
    void *host_data;             /* the host's own; plugins never touch it */

    /* [thread-safe] Writes one line to the host's log, attributed to the plugin and tenant.
     * `level` is AH_LOG_*; `message` is copied. */
    void (*log)(const struct ah_host *host, int32_t level, const char *message);

    /* [thread-safe] Returns the service table for `extension_id` ("name/REV", see ext/), or NULL
     * when the host lacks it or the tenant is not granted it. The pointer stays valid as long
     * as this host table. */
    const void *(*get_extension)(const struct ah_host *host, const char *extension_id);

    /* ---- tool completion (tool.h) ---- */

    /* [thread-safe] Completes tool call `call_id`: exactly once for every invoke that returned
     * AH_OK, possibly before invoke returns. `status` AH_OK: `output` is the result (text or
     * JSON) for the agent. A failure status: `output` says what went wrong in words the agent
     * can relay ("the billing system did not answer"). `output` is copied. */
    void (*tool_complete)(const struct ah_host *host, uint64_t call_id, ah_status_t status,
                          const char *output, size_t output_len);

    /* ---- agent actions (agent.h); `step_id` names the open step ---- */
    /* Each is [thread-safe], copies its arguments, and returns AH_ERR_NOT_FOUND when the step is
     * not open (already done, cancelled, or unknown). Actions take effect in the order made. */

    /* Say `text` to the caller (short, speakable sentences: it may be read aloud). */
    ah_status_t (*agent_say)(const struct ah_host *host, uint64_t step_id,
                             const char *text, size_t text_len);

    /* Call the tool named `tool_name` with a JSON object of arguments. On AH_OK `*out_call_id`
     * identifies the call and its result arrives through the agent's on_tool_result before the
     * step ends. AH_ERR_NOT_PERMITTED: tool not enabled for the tenant or agent.
     * AH_ERR_LIMIT_EXCEEDED: the turn used up its tool calls. */
    ah_status_t (*agent_call_tool)(const struct ah_host *host, uint64_t step_id,
                                   const char *tool_name,
                                   const char *arguments_json, size_t arguments_len,
                                   uint64_t *out_call_id);

    /* Hand the conversation to the agent `agent_id` (one of the step's handoff targets) after
     * this step; the target takes a step on the same input with the conversation carried over.
     * `reason` may be NULL. AH_ERR_LIMIT_EXCEEDED: the turn has handed off too often. */
    ah_status_t (*agent_handoff)(const struct ah_host *host, uint64_t step_id,
                                 const char *agent_id, const char *reason);

    /* Queue the caller for a human in `department` (e.g. "billing"); the host calls the
     * tenant's escalation tool, emits `escalated`, and the session ends after the step. */
    ah_status_t (*agent_escalate)(const struct ah_host *host, uint64_t step_id,
                                  const char *department, const char *reason);

    /* End the session after this step (`reason` e.g. "resolved"; may be NULL). */
    ah_status_t (*agent_end_session)(const struct ah_host *host, uint64_t step_id,
                                     const char *reason);

    /* Replace this agent's per-session scratch state (a JSON value; it comes back as "state" in
     * the context of the agent's next step in this session). */
    ah_status_t (*agent_set_state)(const struct ah_host *host, uint64_t step_id,
                                   const char *state_json, size_t state_len);

    /* Finish the step: exactly once per step that `step` accepted, also after cancel. After it
     * the host ignores actions for `step_id`. A failure status with `message` makes the host
     * emit an `error` event and apologise to the caller. `message` may be NULL; it is copied. */
    void (*agent_step_done)(const struct ah_host *host, uint64_t step_id, ah_status_t status,
                            const char *message);
} ah_host_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_host_t) == 120, "ah_host_t 1.0 layout");
AH_STATIC_ASSERT(offsetof(ah_host_t, log) == 40, "ah_host_t 1.0 layout");
AH_STATIC_ASSERT(offsetof(ah_host_t, agent_step_done) == 112, "ah_host_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
