/*
 * "Desk Agent", a C department for the isolation tests. Input "run <mode>" calls the tool
 * `risky` with {"mode":"<mode>"} and says "ok: <output>" or "failed: <output>" with its result;
 * input "die" segfaults inside step (the whole runner dies); "refuse" makes step fail with a
 * message; anything else is answered "hello".
 */
#include "agent_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void);

static const char *const examples[] = {"run ok", "run the risky tool", "die", NULL};
static const char *const tools[] = {"risky", NULL};

static const ah_agent_profile_t profile = {
    .struct_size = sizeof(ah_agent_profile_t),
    .handoff_description = "Runs the risky tool on request.",
    .example_utterances = examples,
    .tool_names = tools,
};

static const ah_plugin_descriptor_t descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_AGENT,
    .id = "com.example.isolation.desk",
    .display_name = "Desk Agent",
    .version = "1.0.0",
    .description = "Calls the risky tool.",
    .agent = &profile,
};

typedef struct {
    ah_plugin_t plugin;
    const ah_host_t *host;
} instance_t;

static const ah_host_t *host_of(const ah_plugin_t *plugin) { return ((const instance_t *)plugin->plugin_data)->host; }

static ah_status_t step(const ah_plugin_t *plugin, const ah_agent_step_t *s, ah_error_t *error) {
    const ah_host_t *host = host_of(plugin);
    if (s->input_len == 3 && memcmp(s->input, "die", 3) == 0) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    }
    if (s->input_len == 6 && memcmp(s->input, "refuse", 6) == 0) {
        snprintf(error->message, sizeof error->message, "desk: closed for lunch");
        return AH_ERR_UNAVAILABLE;
    }
    if (s->input_len > 4 && memcmp(s->input, "run ", 4) == 0) {
        char arguments[128];
        int n = snprintf(arguments, sizeof arguments, "{\"mode\":\"%.*s\"}", (int)(s->input_len - 4), s->input + 4);
        uint64_t call_id = 0;
        ah_status_t status = host->agent_call_tool(host, s->step_id, "risky", arguments, (size_t)n, &call_id);
        if (status == AH_OK) return AH_OK;  /* finished in on_tool_result */
        host->agent_say(host, s->step_id, "the tool was refused", 20);
        host->agent_step_done(host, s->step_id, AH_OK, NULL);
        return AH_OK;
    }
    host->agent_say(host, s->step_id, "hello", 5);
    host->agent_step_done(host, s->step_id, AH_OK, NULL);
    return AH_OK;
}

static void on_tool_result(const ah_plugin_t *plugin, uint64_t step_id, uint64_t call_id, ah_status_t status,
                           const char *output, size_t output_len) {
    (void)call_id;
    const ah_host_t *host = host_of(plugin);
    char text[1024];
    int n = snprintf(text, sizeof text, "%s: %.*s", status == AH_OK ? "ok" : "failed", (int)output_len, output);
    host->agent_say(host, step_id, text, (size_t)(n < (int)sizeof text ? n : (int)sizeof text - 1));
    host->agent_step_done(host, step_id, AH_OK, NULL);
}

static void cancel(const ah_plugin_t *plugin, uint64_t step_id) {
    const ah_host_t *host = host_of(plugin);
    host->agent_step_done(host, step_id, AH_ERR_CANCELLED, "cancelled");
}

static const ah_agent_t agent = {sizeof(ah_agent_t), step, on_tool_result, cancel};

static const void *get_interface(const ah_plugin_t *plugin, const char *id) {
    (void)plugin;
    return strcmp(id, AH_AGENT_INTERFACE_ID) == 0 ? &agent : NULL;
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
