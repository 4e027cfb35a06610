/*
 * agent-host plugin ABI — status codes and error messages.
 *
 * Every fallible call returns an ah_status_t (0 = success, negative = failure) and, where a caller
 * could want to know why, takes an ah_error_t the callee fills with one human-readable line.
 * Codes are only ever added, never renumbered. Unknown negative codes mean "failed".
 */
#ifndef AGENT_HOST_STATUS_H
#define AGENT_HOST_STATUS_H

#include <stdint.h>

typedef int32_t ah_status_t;

#define AH_OK                     0
#define AH_ERR_FAILED            -1  /* generic failure; the message says why */
#define AH_ERR_INVALID_ARGUMENT  -2  /* malformed input (bad JSON, missing field, bad id) */
#define AH_ERR_NOT_FOUND         -3  /* unknown id: plugin, tool, call, session key */
#define AH_ERR_UNSUPPORTED       -4  /* the callee does not implement this */
#define AH_ERR_NOT_PERMITTED     -5  /* not enabled / not granted for this tenant */
#define AH_ERR_LIMIT_EXCEEDED    -6  /* a per-turn or per-tenant limit refused the call */
#define AH_ERR_TIMEOUT           -7  /* the operation did not finish in time */
#define AH_ERR_CANCELLED         -8  /* the operation was cancelled before it finished */
#define AH_ERR_UNAVAILABLE       -9  /* a dependency (backend, network) could not be reached */
#define AH_ERR_INTERNAL         -10  /* a bug in the callee; the message should say where */

/* Capacity of an ah_error_t message, including the terminating NUL. */
#define AH_ERROR_MESSAGE_CAPACITY 256

/*
 * Caller-allocated, zero-initialised by the caller. On failure the callee writes one
 * NUL-terminated UTF-8 line (truncated to fit) saying what went wrong and, ideally, what to do.
 * The callee never keeps the pointer.
 */
typedef struct ah_error {
    char message[AH_ERROR_MESSAGE_CAPACITY];
} ah_error_t;

#endif
