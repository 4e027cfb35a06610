/*
 * agent-host plugin ABI — the tool interface (AH_PLUGIN_KIND_TOOL instances).
 *
 * A tool is one function in OpenAI function-calling terms: its name and JSON-schema parameters
 * are in the descriptor's ah_tool_profile_t. Calls are asynchronous: invoke starts the work and
 * returns; the result comes through host->tool_complete exactly once per accepted call.
 */
#ifndef AGENT_HOST_TOOL_H
#define AGENT_HOST_TOOL_H

#include "common.h"
#include "status.h"
#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_TOOL_INTERFACE_ID "agent_host.tool/1"

typedef struct ah_tool_call {
    uint32_t struct_size;
    uint64_t call_id;                 /* host-chosen, unique per host process */
    const char *session_id;           /* the conversation the call belongs to */
    const char *caller_id;            /* who is calling (phone number or chat id) */
    const char *arguments_json;       /* a JSON object, as the agent or model produced it */
    size_t arguments_len;
} ah_tool_call_t;

typedef struct ah_tool {
    uint32_t struct_size;

    /* [session-thread] Starts call `call->call_id`. Must return promptly (no blocking I/O; use the
     * host's HTTP and timer extensions or your own threads). `call` and everything it points to
     * are valid only during invoke. AH_OK: exactly one host->tool_complete(call_id) follows, from
     * any thread, possibly before invoke returns. A failure status (e.g. AH_ERR_INVALID_ARGUMENT
     * for arguments that do not match the schema) with `error` filled: no completion follows. */
    ah_status_t (*invoke)(const ah_plugin_t *plugin, const ah_tool_call_t *call, ah_error_t *error);

    /* [session-thread] Asks the plugin to stop call `call_id` (caller hung up, barge-in, turn
     * timeout). Best effort: the completion still arrives exactly once, with AH_ERR_CANCELLED if
     * the work was stopped. Unknown or finished ids are ignored. */
    void (*cancel)(const ah_plugin_t *plugin, uint64_t call_id);
} ah_tool_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_tool_call_t) == 48, "ah_tool_call_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_tool_t) == 24, "ah_tool_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
