/*
 * Extension "agent_host.session-kv/1" — per-session key/value storage.
 *
 * Values live as long as the session (they are not part of the persisted session record) and are
 * namespaced by plugin: two plugins using the same key do not see each other's values.
 */
#ifndef AGENT_HOST_EXT_SESSION_KV_H
#define AGENT_HOST_EXT_SESSION_KV_H

#include "../common.h"
#include "../status.h"
#include "../host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_EXT_SESSION_KV "agent_host.session-kv/1"

/* Receives a value inside `get`; `value` is valid only during the callback. */
typedef void (*ah_kv_reader_t)(void *user_data, const char *value, size_t value_len);

typedef struct ah_host_session_kv {
    uint32_t struct_size;
    /* [thread-safe] Calls `reader` once with the value of `key` and returns AH_OK, or returns
     * AH_ERR_NOT_FOUND (unknown session or key) without calling it. */
    ah_status_t (*get)(const ah_host_t *host, const char *session_id, const char *key,
                       ah_kv_reader_t reader, void *user_data);
    /* [thread-safe] Stores a copy of `value` under `key` (at most 64 KiB per value). */
    ah_status_t (*set)(const ah_host_t *host, const char *session_id, const char *key,
                       const char *value, size_t value_len);
    /* [thread-safe] Removes `key`; AH_OK also when it was absent. */
    ah_status_t (*remove)(const ah_host_t *host, const char *session_id, const char *key);
} ah_host_session_kv_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_host_session_kv_t) == 32, "ah_host_session_kv_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
