/*
 * DRAFT extension "agent_host.catalog.draft/0" — the routing catalog (handoff targets with their
 * routing examples, tools, entry agent: ~13 KB for the reference tenant) fetched once per catalog
 * version instead of riding in every step context.
 *
 * A draft may change or disappear in any minor version until it is promoted to
 * "agent_host.catalog/1"; a plugin must treat a NULL from get_extension as "not available" and
 * read the catalog from the step context, as every 1.0 plugin does. An instance that never calls
 * `subscribe` keeps receiving the full catalog in every context.
 */
#ifndef AGENT_HOST_EXT_DRAFT_CATALOG_H
#define AGENT_HOST_EXT_DRAFT_CATALOG_H

#include "../../common.h"
#include "../../status.h"
#include "../../host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_EXT_CATALOG_DRAFT "agent_host.catalog.draft/0"

/* Receives the catalog inside `fetch`, on the thread that called `fetch`, before `fetch` returns.
 * `catalog_json` (NUL-terminated, `catalog_len` bytes without the NUL) is the host's and valid only
 * during the callback: copy or decode what you keep. */
typedef void (*ah_catalog_reader_t)(void *user_data, const char *catalog_json, size_t catalog_len);

typedef struct ah_host_catalog {
    uint32_t struct_size;
    /* [thread-safe] From the next step on, this instance's step contexts carry `catalog_version`
     * but not `handoff_targets`, `tools` or `entry_agent`: the plugin fetches them with `fetch`
     * whenever the version is one it has not seen. Call it once, typically from `create_plugin`;
     * further calls are no-ops. Returns AH_OK. */
    ah_status_t (*subscribe)(const ah_host_t *host, ah_error_t *error);
    /* [thread-safe] Calls `reader` once, before returning, with the catalog of `version` (the
     * `catalog_version` of a step context this instance received): a JSON object
     * {"catalog_version": "...", "entry_agent": {...} | null, "handoff_targets": [...], "tools": [...]}
     * whose members are exactly what the context would have carried. Returns AH_OK after the
     * callback; AH_ERR_NOT_FOUND (no callback) when the host no longer keeps that version — the
     * tenant was reloaded since that step; the next step carries the new version. */
    ah_status_t (*fetch)(const ah_host_t *host, const char *version, ah_catalog_reader_t reader,
                         void *user_data, ah_error_t *error);
} ah_host_catalog_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_host_catalog_t) == 24, "ah_host_catalog_t draft/0 layout");
AH_STATIC_ASSERT(offsetof(ah_host_catalog_t, fetch) == 16, "ah_host_catalog_t draft/0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
