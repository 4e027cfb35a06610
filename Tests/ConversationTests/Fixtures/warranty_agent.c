/*
 * A third-party department, as another company would ship it: "Warranty Agent", written in C
 * against the ABI headers only. The conversation tests enable it for one tenant and check that
 * Triage routes warranty claims to it there (from this descriptor's examples alone) and that
 * another tenant never sees it.
 */
#include "agent_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void);

static const char *const examples[] = {
    "i want to make a warranty claim",
    "my blender broke and it is still under warranty",
    "is my vacuum covered by the manufacturer warranty",
    "the warranty should cover this repair",
    "how do i file a warranty claim for a defective product",
    "my coffee machine stopped working within the warranty period",
    "can i get a warranty replacement for my broken kettle",
    "what does the extended warranty cover",
    "i bought the protection plan and my device failed",
    "my headphones died after four months, is that under warranty",
    NULL,
};

static const ah_agent_profile_t profile = {
    .struct_size = sizeof(ah_agent_profile_t),
    .handoff_description = "Warranty claims and repairs for products that failed within their warranty period.",
    .example_utterances = examples,
    .instructions = "Open a warranty claim: ask for the product and purchase date.",
    .tool_names = NULL,
};

static const ah_plugin_descriptor_t descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t),
    .kind = AH_PLUGIN_KIND_AGENT,
    .id = "com.example.thirdparty.warranty",
    .display_name = "Warranty Agent",
    .version = "2.1.0",
    .description = "Handles warranty claims for products that stopped working.",
    .agent = &profile,
};

typedef struct {
    ah_plugin_t plugin;
    const ah_host_t *host;
} instance_t;

/* Answers every step with the first question of a warranty claim, synchronously. */
static ah_status_t step(const ah_plugin_t *plugin, const ah_agent_step_t *s, ah_error_t *error) {
    (void)error;
    const ah_host_t *host = ((const instance_t *)plugin->plugin_data)->host;
    static const char reply[] = "Warranty desk here. Which product is it, and when did you buy it?";
    host->agent_say(host, s->step_id, reply, sizeof reply - 1);
    host->agent_step_done(host, s->step_id, AH_OK, NULL);
    return AH_OK;
}

/* No tools are called, so no results arrive; steps finish inside step(), so nothing to cancel. */
static void on_tool_result(const ah_plugin_t *p, uint64_t a, uint64_t b, ah_status_t c, const char *d, size_t e) {
    (void)p, (void)a, (void)b, (void)c, (void)d, (void)e;
}
static void cancel(const ah_plugin_t *p, uint64_t a) { (void)p, (void)a; }

static const ah_agent_t agent = { sizeof(ah_agent_t), step, on_tool_result, cancel };

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
    instance->plugin = (ah_plugin_t){ sizeof(ah_plugin_t), &descriptor, instance, destroy, get_interface };
    *out = &instance->plugin;
    return AH_OK;
}

static const ah_plugin_factory_t factory = { sizeof(ah_plugin_factory_t), count, describe, create };

static ah_status_t init(const char *path, ah_error_t *error) { (void)path, (void)error; return AH_OK; }
static void shutdown(void) {}
static const void *get_factory(const char *id) { return strcmp(id, AH_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL; }

AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), AH_ABI_VERSION_MAJOR, AH_ABI_VERSION_MINOR, AH_TOOLCHAIN_NONE,
        init, shutdown, get_factory,
    };
    return &entry;
}
