/*
 * DRAFT extension "agent_host.dtmf.draft/0" — an agent sends keypad digits (DTMF) on the
 * session's phone call, e.g. to reach an extension through an IVR after a transfer.
 *
 * A draft: it may change or disappear; its id changes with every change. Not part of ABI 1.0.
 * docs/telephony.md describes what the host does with it per channel (Twilio: the call plays
 * the digits through Twilio's REST API, then its Media Stream reconnects to the same session).
 */
#ifndef AGENT_HOST_EXT_DRAFT_DTMF_H
#define AGENT_HOST_EXT_DRAFT_DTMF_H

#include "../../common.h"
#include "../../status.h"
#include "../../host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_EXT_DTMF_DRAFT "agent_host.dtmf.draft/0"

typedef struct ah_host_dtmf_draft0 {
    uint32_t struct_size;
    /* [thread-safe] Queues `digits` (`digits_len` bytes of 0-9, '*', '#', and 'w' for a half-second
     * pause; at most 32) to be played on the call of `session_id`. Returns at once: AH_OK when
     * queued (played as soon as the host reaches the line: agent words still playing are cut, so
     * say them in an earlier step), AH_ERR_NOT_FOUND when the session
     * has no call that can send digits (a chat, the voice socket, a call without Twilio settings),
     * AH_ERR_INVALID_ARGUMENT for other characters or an empty or longer string. The host copies
     * `digits` before returning; the caller keeps ownership. */
    ah_status_t (*send_digits)(const ah_host_t *host, const char *session_id,
                               const char *digits, size_t digits_len);
} ah_host_dtmf_draft0_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_host_dtmf_draft0_t) == 16, "ah_host_dtmf_draft0_t draft 0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
