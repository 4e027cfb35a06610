/*
 * agent-host plugin ABI — version constants.
 *
 * Compatibility rule (docs/abi.md): a plugin built against ABI 1.x loads in every host 1.y with
 * y >= x, and in an older host 1.y (y < x) when every extension the plugin lists in
 * `required_extensions` is provided by that host. A different major never loads.
 */
#ifndef AGENT_HOST_VERSION_H
#define AGENT_HOST_VERSION_H

#define AH_ABI_VERSION_MAJOR 1
#define AH_ABI_VERSION_MINOR 0

/* The one symbol a plugin exports: a function returning its entry (see entry.h). */
#define AH_ENTRY_SYMBOL "agent_host_plugin_entry"

#endif
