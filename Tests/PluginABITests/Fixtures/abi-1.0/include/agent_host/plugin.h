/*
 * agent-host plugin ABI — a plugin instance.
 *
 * An instance is one plugin bound to one tenant (its host table and settings). The host asks it
 * for interfaces by id: AH_AGENT_INTERFACE_ID (agent.h) or AH_TOOL_INTERFACE_ID (tool.h), and
 * later, for growth, any new "name/REV" the instance chooses to implement.
 */
#ifndef AGENT_HOST_PLUGIN_H
#define AGENT_HOST_PLUGIN_H

#include "common.h"
#include "descriptor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ah_plugin {
    uint32_t struct_size;
    const ah_plugin_descriptor_t *descriptor;  /* the descriptor it was created from */
    void *plugin_data;                         /* the plugin's own; the host never touches it */

    /* [main-thread] Destroys the instance. The host calls it once, after every call, step and
     * tool invocation of the instance has completed or been cancelled and completed. */
    void (*destroy)(const struct ah_plugin *plugin);

    /* [thread-safe] Returns the interface `interface_id`, or NULL. Static or instance-lifetime. */
    const void *(*get_interface)(const struct ah_plugin *plugin, const char *interface_id);
} ah_plugin_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_plugin_t) == 40, "ah_plugin_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
