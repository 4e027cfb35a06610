/*
 * DRAFT extension "agent_host.voice-hint.draft/0" — the agent says what it expects the caller to
 * say next, so a voice call can recognise the answer with a grammar (closed prompts).
 *
 * A draft may change or disappear in any minor version until it is promoted to
 * "agent_host.voice-hint/1"; a plugin must treat a NULL from get_extension as "not available"
 * (older hosts, or a host where the draft changed) and keep working without it.
 *
 * Without this extension a 1.0 plugin may keep writing `"expect"` into its state (docs/abi.md):
 * the host reads that only for agents that have never used this extension.
 */
#ifndef AGENT_HOST_EXT_DRAFT_VOICE_HINT_H
#define AGENT_HOST_EXT_DRAFT_VOICE_HINT_H

#include "../../common.h"
#include "../../status.h"
#include "../../host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_EXT_VOICE_HINT_DRAFT "agent_host.voice-hint.draft/0"

/* What the caller's next utterance is expected to be (the `kind` argument of `expect`). */
#define AH_VOICE_EXPECT_TEXT "text"         /* free text: open recognition (the default) */
#define AH_VOICE_EXPECT_ORDER_ID "order_id" /* an order id; `length` = its digits (0: the host's default, 5) */
#define AH_VOICE_EXPECT_DIGITS "digits"     /* a digit string; `length` = exactly that many (0: 1 to 12) */
#define AH_VOICE_EXPECT_YES_NO "yes_no"     /* yes or no; `length` is ignored */

typedef struct ah_host_voice_hint {
    uint32_t struct_size;
    /* [thread-safe] During open step `step_id`: the caller's answer to what this step asked is
     * expected to be `kind` (one of AH_VOICE_EXPECT_*; NULL means AH_VOICE_EXPECT_TEXT). The last
     * call of the step wins; a step that makes no call expects free text. The hint applies to the
     * caller's next utterance only, and only in voice calls (chat ignores it). `kind` is copied
     * before the call returns.
     * Returns AH_OK; AH_ERR_NOT_FOUND when the step is not open; AH_ERR_INVALID_ARGUMENT for an
     * unknown kind or a `length` over 32 (with a message in `error`, which may be NULL). */
    ah_status_t (*expect)(const ah_host_t *host, uint64_t step_id, const char *kind, uint32_t length,
                          ah_error_t *error);
} ah_host_voice_hint_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_host_voice_hint_t) == 16, "ah_host_voice_hint_t draft/0 layout");
AH_STATIC_ASSERT(offsetof(ah_host_voice_hint_t, expect) == 8, "ah_host_voice_hint_t draft/0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
