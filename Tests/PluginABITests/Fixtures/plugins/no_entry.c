/*
 * no_entry — a perfectly loadable shared object that is not a plugin: it exports one function,
 * `agent_host_entry` (a plausible near-miss of the real name), and no `agent_host_plugin_entry`.
 *
 * The loader MUST refuse it with an error naming the missing symbol "agent_host_plugin_entry"
 * (and the file), and must not crash or guess: a stray .so in the plugin directory is an
 * operator mistake to report, not a plugin.
 */
#include "agent_host.h"

AH_EXPORT int agent_host_entry(void);

AH_EXPORT int agent_host_entry(void) {
    return 42;
}
