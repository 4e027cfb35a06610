/*
 * "Keypad Agent", a C department for the dtmf draft (agent_host.dtmf.draft/0) tests. Input
 * "send <digits>" sends <digits> on the session's call through the draft and says
 * "sent <digits>: <status>" (the ah_status_t as a number); input "9" (the caller pressing 9)
 * sends "ww1234#", as an agent reaching an extension through an IVR would; anything else is
 * answered "hello". Without the draft it says "no dtmf extension".
 */
#include "agent_host.h"
#include "agent_host_draft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void);

static const char *const examples[] = {"send 1234#", "9", NULL};

static const ah_agent_profile_t profile = {
    .struct_size = sizeof(ah_agent_profile_t),
    .handoff_description = "Sends keypad digits on the call.",
    .example_utterances = examples,
};

static const ah_plugin_descriptor_t descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_AGENT,
    .id = "com.example.isolation.keypad",
    .display_name = "Keypad Agent",
    .version = "1.0.0",
    .description = "Sends keypad digits through the dtmf draft.",
    .agent = &profile,
};

typedef struct {
    ah_plugin_t plugin;
    const ah_host_t *host;
} instance_t;

static void say(const ah_host_t *host, uint64_t step, const char *text) {
    host->agent_say(host, step, text, strlen(text));
}

static ah_status_t step(const ah_plugin_t *plugin, const ah_agent_step_t *s, ah_error_t *error) {
    (void)error;
    const ah_host_t *host = ((const instance_t *)plugin->plugin_data)->host;
    const char *digits = NULL;
    size_t length = 0;
    if (s->input_len > 5 && memcmp(s->input, "send ", 5) == 0) {
        digits = s->input + 5;
        length = s->input_len - 5;
    } else if (s->input_len == 1 && s->input[0] == '9') {
        digits = "ww1234#";
        length = 7;
    }
    if (digits == NULL) {
        say(host, s->step_id, "hello");
    } else {
        const ah_host_dtmf_draft0_t *dtmf = host->get_extension(host, AH_EXT_DTMF_DRAFT);
        char text[128];
        if (dtmf == NULL) {
            snprintf(text, sizeof text, "no dtmf extension");
        } else {
            ah_status_t status = dtmf->send_digits(host, s->session_id, digits, length);
            snprintf(text, sizeof text, "sent %.*s: %d", (int)(length > 64 ? 64 : length), digits, (int)status);
        }
        say(host, s->step_id, text);
    }
    host->agent_step_done(host, s->step_id, AH_OK, NULL);
    return AH_OK;
}

static void on_tool_result(const ah_plugin_t *plugin, uint64_t step_id, uint64_t call_id, ah_status_t status,
                           const char *output, size_t output_len) {
    (void)plugin, (void)step_id, (void)call_id, (void)status, (void)output, (void)output_len;
}

static void cancel(const ah_plugin_t *plugin, uint64_t step_id) {
    const ah_host_t *host = ((const instance_t *)plugin->plugin_data)->host;
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
