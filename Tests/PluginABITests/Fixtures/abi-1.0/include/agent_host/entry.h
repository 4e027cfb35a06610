/*
 * agent-host plugin ABI — the entry point.
 *
 * Bootstrap in three steps (after CLAP): the host calls the plugin's one exported function
 * `agent_host_plugin_entry()`, calls `init`, then asks `get_factory(AH_PLUGIN_FACTORY_ID)` and
 * creates instances from the factory (factory.h).
 *
 * The host opens plugins with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE and never unloads them.
 */
#ifndef AGENT_HOST_ENTRY_H
#define AGENT_HOST_ENTRY_H

#include "common.h"
#include "status.h"
#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Toolchain string for plugins with no language-runtime constraint (C, C++ without a shared
 * runtime, Rust with its runtime linked statically). A Swift plugin must instead name its exact
 * Swift toolchain: Swift has no stable runtime ABI on Linux, so the host refuses a mismatch.
 */
#define AH_TOOLCHAIN_NONE "none"

typedef struct ah_plugin_entry {
    uint32_t struct_size;      /* sizeof(ah_plugin_entry_t) as built by the plugin */
    uint16_t abi_major;        /* AH_ABI_VERSION_MAJOR the plugin was built against */
    uint16_t abi_minor;        /* AH_ABI_VERSION_MINOR the plugin was built against */

    /* Build environment: AH_TOOLCHAIN_NONE, or "swift <version> | <compiler id>" for Swift
     * plugins (the SDK fills it). Static storage; never NULL. */
    const char *toolchain;

    /* [main-thread] Called once, before any other call. `plugin_path` is the absolute path of the
     * shared object (for finding data files beside it); valid only during the call.
     * Returns AH_OK, or a failure with `error` filled; a plugin whose init fails is not used and
     * `shutdown` is not called. Must not call back into the host (there is no host table yet). */
    ah_status_t (*init)(const char *plugin_path, ah_error_t *error);

    /* [main-thread] Called once when the host stops, after every instance was destroyed.
     * The shared object stays mapped afterwards (no dlclose), so static data may stay. */
    void (*shutdown)(void);

    /* [thread-safe] Returns the factory for `factory_id` (e.g. AH_PLUGIN_FACTORY_ID), or NULL
     * when the plugin has none by that id. The returned pointer is static: valid until shutdown. */
    const void *(*get_factory)(const char *factory_id);
} ah_plugin_entry_t;

/* The exported entry function. [main-thread], may be called more than once, returns a pointer to
 * static storage, must not fail and must do no work beyond returning it. */
typedef const ah_plugin_entry_t *(*ah_plugin_entry_fn)(void);

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_plugin_entry_t) == 40, "ah_plugin_entry_t 1.0 layout");
AH_STATIC_ASSERT(offsetof(ah_plugin_entry_t, toolchain) == 8, "ah_plugin_entry_t 1.0 layout");
AH_STATIC_ASSERT(offsetof(ah_plugin_entry_t, get_factory) == 32, "ah_plugin_entry_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
