/*
 * agent-host plugin ABI — the plugin factory: lists descriptors and creates instances.
 */
#ifndef AGENT_HOST_FACTORY_H
#define AGENT_HOST_FACTORY_H

#include "common.h"
#include "status.h"
#include "descriptor.h"
#include "plugin.h"
#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_PLUGIN_FACTORY_ID "agent_host.plugin-factory/1"

typedef struct ah_plugin_factory {
    uint32_t struct_size;

    /* [thread-safe] How many plugins this shared object provides (one .so may hold several). */
    uint32_t (*get_plugin_count)(const struct ah_plugin_factory *factory);

    /* [thread-safe] Descriptor `index` (0-based), or NULL if out of range. Static storage. */
    const ah_plugin_descriptor_t *(*get_plugin_descriptor)(const struct ah_plugin_factory *factory,
                                                           uint32_t index);

    /* [main-thread] Creates an instance of `plugin_id` for one tenant.
     * `host` stays valid until the instance is destroyed; `settings_json` (an object, "{}" when
     * the operator set nothing) is valid only during the call. On AH_OK `*out_plugin` points to
     * an instance owned by the plugin until its `destroy`. On failure `error` says why
     * (e.g. "settings.backend_url is missing") and the host does not use the plugin for that
     * tenant. */
    ah_status_t (*create_plugin)(const struct ah_plugin_factory *factory,
                                 const ah_host_t *host,
                                 const char *plugin_id,
                                 const char *settings_json, size_t settings_len,
                                 const ah_plugin_t **out_plugin,
                                 ah_error_t *error);
} ah_plugin_factory_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_plugin_factory_t) == 32, "ah_plugin_factory_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
