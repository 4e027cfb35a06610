/*
 * Extension "agent_host.http/1" — asynchronous HTTP client.
 *
 * The host runs requests on its event loop (libcurl multi), so a plugin reaches backends without
 * blocking anything. Granted per tenant; get_extension returns NULL when not granted.
 */
#ifndef AGENT_HOST_EXT_HTTP_H
#define AGENT_HOST_EXT_HTTP_H

#include "../common.h"
#include "../status.h"
#include "../host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_EXT_HTTP "agent_host.http/1"

typedef struct ah_http_header {
    const char *name;    /* NUL-terminated */
    const char *value;   /* NUL-terminated */
} ah_http_header_t;

typedef struct ah_http_request {
    uint32_t struct_size;
    const char *method;                 /* "GET", "POST", ... */
    const char *url;                    /* absolute http:// or https:// URL */
    const ah_http_header_t *headers;    /* may be NULL when header_count is 0 */
    uint32_t header_count;
    const char *body;                   /* may be NULL */
    size_t body_len;
    uint32_t timeout_ms;                /* whole request; 0 = the host's default (10 s) */
} ah_http_request_t;

typedef struct ah_http_response {
    uint32_t struct_size;
    /* AH_OK when a response arrived (whatever its HTTP status); AH_ERR_TIMEOUT,
     * AH_ERR_UNAVAILABLE (connection refused, DNS, TLS) or AH_ERR_CANCELLED otherwise. */
    ah_status_t status;
    int32_t http_status;                /* e.g. 200; 0 when no response arrived */
    const ah_http_header_t *headers;
    uint32_t header_count;
    const char *body;                   /* NUL-terminated too */
    size_t body_len;
    const char *error_message;          /* why status is not AH_OK; NULL otherwise */
} ah_http_response_t;

/* [session-thread] Called exactly once per accepted request. `response` and everything it points
 * to are valid only during the callback. */
typedef void (*ah_http_callback_t)(void *user_data, const ah_http_response_t *response);

typedef struct ah_host_http {
    uint32_t struct_size;
    /* [thread-safe] Starts a request; copies `request` before returning. AH_OK: `callback` runs
     * exactly once later (never inside this call) and `*out_request_id` names the request.
     * A failure (e.g. AH_ERR_INVALID_ARGUMENT for a malformed URL) fills `error`; no callback. */
    ah_status_t (*request)(const ah_host_t *host, const ah_http_request_t *request,
                           ah_http_callback_t callback, void *user_data,
                           uint64_t *out_request_id, ah_error_t *error);
    /* [thread-safe] Cancels a request; its callback still runs once, with AH_ERR_CANCELLED,
     * unless the response was already being delivered. Unknown ids are ignored. */
    void (*cancel)(const ah_host_t *host, uint64_t request_id);
} ah_host_http_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_http_header_t) == 16, "ah_http_header_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_http_request_t) == 64, "ah_http_request_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_http_response_t) == 56, "ah_http_response_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_host_http_t) == 24, "ah_host_http_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
