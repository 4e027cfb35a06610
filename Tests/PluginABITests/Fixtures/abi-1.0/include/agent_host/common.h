/*
 * agent-host plugin ABI — conventions shared by every header.
 *
 * Strings: UTF-8. Identifiers and descriptor fields are NUL-terminated. Payloads (text, JSON)
 *   travel as (pointer, length) and the sender also NUL-terminates them, so C code may use
 *   either form; the length excludes the NUL.
 * Structs: the first field is `struct_size`, set to sizeof(struct) by whoever fills it. A
 *   published struct never changes; it only grows at the end. A reader checks struct_size (see
 *   AH_STRUCT_HAS_FIELD) before reading a field added after 1.0.
 * Threads (tags on every function pointer):
 *   [main-thread]    the thread that loaded the plugin (the host's main thread).
 *   [session-thread] the event-loop thread serving the session; calls for one session never
 *                    overlap, but different sessions may be served by different threads.
 *   [thread-safe]    any thread, concurrently.
 * Ownership: unless a function says otherwise, pointers passed into a call are valid only for
 *   the duration of that call (copy what you keep), and pointers a plugin hands the host in
 *   descriptors stay valid until `shutdown` returns.
 */
#ifndef AGENT_HOST_COMMON_H
#define AGENT_HOST_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#  define AH_EXPORT __attribute__((visibility("default")))
#else
#  define AH_EXPORT
#endif

#ifdef __cplusplus
#  define AH_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#  define AH_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* True when a struct filled by the other side is large enough to contain `field`. */
#define AH_STRUCT_HAS_FIELD(ptr, type, field) \
    ((ptr) != NULL && (ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* Layout assertions are written for LP64 (x86_64, aarch64 Linux), the platforms we ship. */
#if UINTPTR_MAX == 0xffffffffffffffffULL
#  define AH_LP64 1
#endif

#endif
