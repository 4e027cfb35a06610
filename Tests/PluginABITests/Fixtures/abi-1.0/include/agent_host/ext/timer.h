/*
 * Extension "agent_host.timer/1" — one-shot timers on the host's event loop.
 */
#ifndef AGENT_HOST_EXT_TIMER_H
#define AGENT_HOST_EXT_TIMER_H

#include "../common.h"
#include "../status.h"
#include "../host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_EXT_TIMER "agent_host.timer/1"

/* [session-thread] Runs once when the timer fires, or with `cancelled` = 1 when it was cancelled
 * (so user_data can always be released in the callback). */
typedef void (*ah_timer_callback_t)(void *user_data, uint64_t timer_id, int32_t cancelled);

typedef struct ah_host_timer {
    uint32_t struct_size;
    /* [thread-safe] Calls `callback` once after `delay_ms` milliseconds. */
    ah_status_t (*start)(const ah_host_t *host, uint64_t delay_ms, ah_timer_callback_t callback,
                         void *user_data, uint64_t *out_timer_id, ah_error_t *error);
    /* [thread-safe] Cancels a pending timer (its callback runs with cancelled = 1). Unknown or
     * fired ids are ignored. */
    void (*cancel)(const ah_host_t *host, uint64_t timer_id);
} ah_host_timer_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_host_timer_t) == 24, "ah_host_timer_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
