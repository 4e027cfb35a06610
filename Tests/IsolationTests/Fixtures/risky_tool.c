/*
 * The tool `risky` for the isolation tests: misbehaves on request, the ways real plugins do.
 * Arguments {"mode": M}: "ok" completes with "fine"; "segv" dereferences NULL; "spin" busy-loops
 * in invoke forever (ignoring cancel); "leak" allocates and touches 32 MiB blocks until malloc
 * fails and then writes through the NULL it got; "garbage" writes bytes that are not a frame to
 * the runner's socket (fd 3), as a plugin scribbling on a descriptor it does not own would;
 * "introspect" completes with what the process may do: {"env":N,"no_new_privs":N,"as_mb":N};
 * "kv" stores the call count under the session's key "calls", reads it back, counts a metric
 * `risky_calls{mode="kv"}` and completes with "calls=N" (extensions forwarded by the runner);
 * "sleep" blocks in invoke for a minute without using the CPU (ignoring cancel); "hang" returns
 * from invoke and never completes (ignoring cancel); "twice" completes with "first", then again
 * with "second"; "big" completes with 10 MiB of 'x'; "huge" with 20 MiB (more than a runner
 * frame carries); "exec" tries execve("/bin/true") and "ptrace" PTRACE_TRACEME, completing with
 * what the kernel answered ("execve: <strerror>" / "ptrace: <strerror>"); "kv-thread" does what
 * "kv" does on a thread of its own while invoke waits for that thread (pthread_join): the thread's
 * synchronous host calls must be answered while the runner's main thread is inside the plugin.
 */
#include "agent_host.h"
#include "agent_host/ext/metrics.h"
#include "agent_host/ext/session_kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

/* The runner's privileges as the plugin sees them. */
static int introspect(char *out, size_t size) {
    int env = 0;
    for (char **e = environ; e && *e; e++) env++;
    int no_new_privs = -1;
    char line[256];
    FILE *status = fopen("/proc/self/status", "r");
    while (status && fgets(line, sizeof line, status)) sscanf(line, "NoNewPrivs: %d", &no_new_privs);
    if (status) fclose(status);
    struct rlimit limit;
    getrlimit(RLIMIT_AS, &limit);
    long as_mb = limit.rlim_cur == RLIM_INFINITY ? -1 : (long)(limit.rlim_cur >> 20);
    return snprintf(out, size, "{\"env\":%d,\"no_new_privs\":%d,\"as_mb\":%ld}", env, no_new_privs, as_mb);
}

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void);

static const ah_tool_profile_t profile = {
    .struct_size = sizeof(ah_tool_profile_t),
    .name = "risky",
    .parameters_schema = "{\"type\":\"object\",\"properties\":{\"mode\":{\"type\":\"string\"}}}",
};

static const ah_plugin_descriptor_t descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_TOOL,
    .id = "com.example.isolation.risky",
    .display_name = "Risky Tool",
    .version = "1.0.0",
    .description = "Misbehaves on request.",
    .tool = &profile,
};

typedef struct {
    ah_plugin_t plugin;
    const ah_host_t *host;
} instance_t;

static int has(const ah_tool_call_t *call, const char *mode) {
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\"", mode);
    return strstr(call->arguments_json, needle) != NULL;
}

static void read_value(void *user_data, const char *value, size_t len) {
    snprintf((char *)user_data, 32, "%.*s", (int)len, value);
}

/* The session's previous count (0 if none) + 1, stored back and read again through session-kv. */
static ah_status_t session_count(const ah_host_t *host, const ah_tool_call_t *call, char *out, size_t size) {
    const ah_host_session_kv_t *kv = host->get_extension(host, AH_EXT_SESSION_KV);
    const ah_host_metrics_t *metrics = host->get_extension(host, AH_EXT_METRICS);
    if (!kv || !metrics) return AH_ERR_NOT_PERMITTED;
    char previous[32] = "0", next[32];
    kv->get(host, call->session_id, "calls", read_value, previous);
    int n = snprintf(next, sizeof next, "%d", atoi(previous) + 1);
    if (kv->set(host, call->session_id, "calls", next, (size_t)n) != AH_OK) return AH_ERR_FAILED;
    char stored[32] = "";
    if (kv->get(host, call->session_id, "calls", read_value, stored) != AH_OK) return AH_ERR_NOT_FOUND;
    const ah_metric_label_t label = {"mode", "kv"};
    metrics->counter_add(host, "risky_calls", &label, 1, 1.0);
    snprintf(out, size, "calls=%s", stored);
    return AH_OK;
}

typedef struct { const ah_host_t *host; const ah_tool_call_t *call; } counting_t;

static void *count_on_a_thread(void *data) {
    const counting_t *job = data;
    char text[64];
    ah_status_t status = session_count(job->host, job->call, text, sizeof text);
    if (status != AH_OK) snprintf(text, sizeof text, "session-kv or metrics unavailable");
    job->host->tool_complete(job->host, job->call->call_id, status, text, strlen(text));
    return NULL;
}

static ah_status_t invoke(const ah_plugin_t *plugin, const ah_tool_call_t *call, ah_error_t *error) {
    (void)error;
    const ah_host_t *host = ((const instance_t *)plugin->plugin_data)->host;
    if (has(call, "segv")) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    } else if (has(call, "spin")) {
        for (volatile unsigned long i = 0;; i++) {}
    } else if (has(call, "leak")) {
        for (;;) {
            char *block = malloc(32u << 20);
            memset(block, 1, 32u << 20);  /* no NULL check: the leak ends in a crash at the cap */
        }
    } else if (has(call, "kv-thread")) {
        counting_t job = {host, call};
        pthread_t thread;
        if (pthread_create(&thread, NULL, count_on_a_thread, &job) != 0) return AH_ERR_INTERNAL;
        pthread_join(thread, NULL);
        return AH_OK;
    } else if (has(call, "kv")) {
        char text[64];
        ah_status_t status = session_count(host, call, text, sizeof text);
        if (status != AH_OK) snprintf(text, sizeof text, "session-kv or metrics unavailable");
        host->tool_complete(host, call->call_id, status, text, strlen(text));
        return AH_OK;
    } else if (has(call, "introspect")) {
        char text[128];
        int n = introspect(text, sizeof text);
        host->tool_complete(host, call->call_id, AH_OK, text, (size_t)n);
        return AH_OK;
    } else if (has(call, "sleep")) {
        sleep(60);
    } else if (has(call, "hang")) {
        return AH_OK;
    } else if (has(call, "twice")) {
        host->tool_complete(host, call->call_id, AH_OK, "first", 5);
        host->tool_complete(host, call->call_id, AH_OK, "second", 6);
        return AH_OK;
    } else if (has(call, "big") || has(call, "huge")) {
        size_t size = (has(call, "big") ? 10u : 20u) << 20;
        char *text = malloc(size);
        if (text == NULL) return AH_ERR_FAILED;
        memset(text, 'x', size);
        host->tool_complete(host, call->call_id, AH_OK, text, size);
        free(text);
        return AH_OK;
    } else if (has(call, "exec") || has(call, "ptrace")) {
        char text[128];
        int failed;
        if (has(call, "exec")) {
            char *const argv[] = {"/bin/true", NULL}, *const envp[] = {NULL};
            failed = execve("/bin/true", argv, envp);  /* only returns when denied */
        } else {
            failed = (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        }
        int n = snprintf(text, sizeof text, "%s: %s", has(call, "exec") ? "execve" : "ptrace",
                         failed == 0 ? "allowed" : strerror(errno));
        host->tool_complete(host, call->call_id, failed == 0 ? AH_OK : AH_ERR_NOT_PERMITTED, text, (size_t)n);
        return AH_OK;
    } else if (has(call, "garbage")) {
        static const char junk[] = "\xff\xff\xff\x7fnot a frame";
        if (write(3, junk, sizeof junk) < 0) return AH_ERR_FAILED;
        sleep(5);
    }
    host->tool_complete(host, call->call_id, AH_OK, "fine", 4);
    return AH_OK;
}

static void cancel(const ah_plugin_t *plugin, uint64_t call_id) { (void)plugin, (void)call_id; }

static const ah_tool_t tool = {sizeof(ah_tool_t), invoke, cancel};

static const void *get_interface(const ah_plugin_t *plugin, const char *id) {
    (void)plugin;
    return strcmp(id, AH_TOOL_INTERFACE_ID) == 0 ? &tool : NULL;
}

static void destroy(const ah_plugin_t *plugin) { free(plugin->plugin_data); }
static uint32_t count(const ah_plugin_factory_t *f) { (void)f; return 1; }
static const ah_plugin_descriptor_t *describe(const ah_plugin_factory_t *f, uint32_t i) { (void)f; return i == 0 ? &descriptor : NULL; }

static ah_status_t create(const ah_plugin_factory_t *f, const ah_host_t *host, const char *id,
                          const char *settings, size_t settings_len, const ah_plugin_t **out, ah_error_t *error) {
    (void)f, (void)settings, (void)settings_len;
    if (strcmp(id, descriptor.id) != 0) {
        snprintf(error->message, sizeof error->message, "unknown plugin %s", id);
        return AH_ERR_NOT_FOUND;
    }
    instance_t *instance = calloc(1, sizeof *instance);
    if (instance == NULL) return AH_ERR_FAILED;
    instance->host = host;
    instance->plugin = (ah_plugin_t){sizeof(ah_plugin_t), &descriptor, instance, destroy, get_interface};
    *out = &instance->plugin;
    return AH_OK;
}

static const ah_plugin_factory_t factory = {sizeof(ah_plugin_factory_t), count, describe, create};
static ah_status_t init(const char *path, ah_error_t *error) { (void)path, (void)error; return AH_OK; }
static void shutdown(void) {}
static const void *get_factory(const char *id) { return strcmp(id, AH_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL; }

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), AH_ABI_VERSION_MAJOR, AH_ABI_VERSION_MINOR, AH_TOOLCHAIN_NONE, init, shutdown, get_factory,
    };
    return &entry;
}
