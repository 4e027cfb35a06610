/*
 * Shared scaffolding for the ABI test fixtures: a minimal, valid plugin around ONE descriptor.
 *
 * Compiled against the FROZEN 1.0 headers (../abi-1.0/include), never the live ones, so the
 * fixtures stay byte-for-byte what a 1.0 plugin author would have built.
 *
 * Usage in a fixture .c file:
 *     #include "fixture_common.h"            (optionally after #define FIXTURE_AGENT 1)
 *     static const ah_plugin_descriptor_t fixture_descriptor = { ... };
 *     AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) { ...uses
 *         fixture_init_ok / fixture_shutdown / fixture_get_factory... }
 *
 * The instance offers AH_TOOL_INTERFACE_ID with a tool that echoes its arguments back through
 * host->tool_complete before invoke returns; with FIXTURE_AGENT defined it offers
 * AH_AGENT_INTERFACE_ID and the fixture defines `static const ah_agent_t fixture_agent`.
 *
 * Everything here is static: the only exported symbol stays the fixture's entry point.
 */
#ifndef FIXTURE_COMMON_H
#define FIXTURE_COMMON_H

#include "agent_host.h"

#include <stdlib.h>
#include <string.h>

/* The fixture's exported entry (declared so the compiler checks each definition against it). */
AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void);

/* Arguments schema for the echo tools: any object, with an optional "text". */
#define FIXTURE_ECHO_SCHEMA \
    "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"," \
    "\"description\":\"Anything; it is echoed back\"}},\"required\":[]}"

/* The fixture's one descriptor; each fixture file defines it (a tentative definition here). */
static const ah_plugin_descriptor_t fixture_descriptor;

/* Copies `message` into the caller's error, truncating to fit. */
static inline void fixture_set_error(ah_error_t *error, const char *message) {
    if (error == NULL) return;
    strncpy(error->message, message, sizeof error->message - 1);
    error->message[sizeof error->message - 1] = '\0';
}

/* An instance remembers its tenant's host table; that is all the fixtures need. */
typedef struct {
    ah_plugin_t plugin;
    const ah_host_t *host;
} fixture_instance_t;

static inline const ah_host_t *fixture_host(const ah_plugin_t *plugin) {
    return ((const fixture_instance_t *)plugin->plugin_data)->host;
}

#ifdef FIXTURE_AGENT
/* Defined by the agent fixture. */
static const ah_agent_t fixture_agent;
#  define FIXTURE_INTERFACE_ID AH_AGENT_INTERFACE_ID
#  define FIXTURE_INTERFACE (&fixture_agent)
#else
/* Echo: completes synchronously with the arguments JSON as the output, so a test can check the
 * bytes made the round trip host -> plugin -> host unchanged. */
static inline ah_status_t fixture_echo_invoke(const ah_plugin_t *plugin, const ah_tool_call_t *call,
                                              ah_error_t *error) {
    if (plugin == NULL || call == NULL || call->arguments_json == NULL) {
        fixture_set_error(error, "fixture: invoke needs a call with arguments");
        return AH_ERR_INVALID_ARGUMENT;
    }
    const ah_host_t *host = fixture_host(plugin);
    host->tool_complete(host, call->call_id, AH_OK, call->arguments_json, call->arguments_len);
    return AH_OK;
}

/* Calls complete inside invoke, so there is never anything left to cancel. */
static inline void fixture_echo_cancel(const ah_plugin_t *plugin, uint64_t call_id) {
    (void)plugin;
    (void)call_id;
}

static const ah_tool_t fixture_echo_tool = {
    sizeof(ah_tool_t), fixture_echo_invoke, fixture_echo_cancel,
};
#  define FIXTURE_INTERFACE_ID AH_TOOL_INTERFACE_ID
#  define FIXTURE_INTERFACE (&fixture_echo_tool)
#endif

/* Frees the instance create_plugin allocated. */
static inline void fixture_destroy(const ah_plugin_t *plugin) {
    if (plugin != NULL) free(plugin->plugin_data);
}

/* The one interface the fixture implements; NULL for anything else, as the ABI requires. */
static inline const void *fixture_get_interface(const ah_plugin_t *plugin,
                                                const char *interface_id) {
    (void)plugin;
    if (interface_id == NULL || strcmp(interface_id, FIXTURE_INTERFACE_ID) != 0) return NULL;
    return FIXTURE_INTERFACE;
}

static inline uint32_t fixture_get_plugin_count(const ah_plugin_factory_t *factory) {
    (void)factory;
    return 1;
}

static inline const ah_plugin_descriptor_t *fixture_get_plugin_descriptor(
    const ah_plugin_factory_t *factory, uint32_t index) {
    (void)factory;
    return index == 0 ? &fixture_descriptor : NULL;
}

/* Creates an instance of the one descriptor (whatever its id says, valid or not); settings are
 * ignored because no fixture has any. */
static inline ah_status_t fixture_create_plugin(const ah_plugin_factory_t *factory,
                                                const ah_host_t *host, const char *plugin_id,
                                                const char *settings_json, size_t settings_len,
                                                const ah_plugin_t **out_plugin, ah_error_t *error) {
    (void)factory;
    (void)settings_json;
    (void)settings_len;
    if (host == NULL || out_plugin == NULL || plugin_id == NULL) {
        fixture_set_error(error, "fixture: create_plugin needs a host, an id and an out pointer");
        return AH_ERR_INVALID_ARGUMENT;
    }
    *out_plugin = NULL;
    if (fixture_descriptor.id == NULL || strcmp(plugin_id, fixture_descriptor.id) != 0) {
        fixture_set_error(error, "fixture: unknown plugin id");
        return AH_ERR_NOT_FOUND;
    }
    fixture_instance_t *instance = calloc(1, sizeof *instance);
    if (instance == NULL) {
        fixture_set_error(error, "fixture: out of memory");
        return AH_ERR_FAILED;
    }
    instance->host = host;
    instance->plugin = (ah_plugin_t){ sizeof(ah_plugin_t), &fixture_descriptor, instance,
                                      fixture_destroy, fixture_get_interface };
    *out_plugin = &instance->plugin;
    return AH_OK;
}

static const ah_plugin_factory_t fixture_factory = {
    sizeof(ah_plugin_factory_t), fixture_get_plugin_count, fixture_get_plugin_descriptor,
    fixture_create_plugin,
};

/* init that always succeeds (there is nothing to set up). */
static inline ah_status_t fixture_init_ok(const char *plugin_path, ah_error_t *error) {
    (void)plugin_path;
    (void)error;
    return AH_OK;
}

/* shutdown with nothing to release. */
static inline void fixture_shutdown(void) {}

/* The plugin factory for AH_PLUGIN_FACTORY_ID, NULL for any other id. */
static inline const void *fixture_get_factory(const char *factory_id) {
    if (factory_id == NULL || strcmp(factory_id, AH_PLUGIN_FACTORY_ID) != 0) return NULL;
    return &fixture_factory;
}

#endif
