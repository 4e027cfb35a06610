/*
 * Extension "agent_host.metrics/1" — plugin metrics in the host's one registry.
 *
 * Names follow Prometheus ([a-zA-Z_:][a-zA-Z0-9_:]*); the host exports them as
 * `agent_host_plugin_<name>` with labels `plugin` and `tenant` added.
 */
#ifndef AGENT_HOST_EXT_METRICS_H
#define AGENT_HOST_EXT_METRICS_H

#include "../common.h"
#include "../status.h"
#include "../host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_EXT_METRICS "agent_host.metrics/1"

typedef struct ah_metric_label {
    const char *name;   /* [a-zA-Z_][a-zA-Z0-9_]* */
    const char *value;  /* UTF-8 */
} ah_metric_label_t;

typedef struct ah_host_metrics {
    uint32_t struct_size;
    /* [thread-safe] Adds `value` (>= 0) to a counter. */
    ah_status_t (*counter_add)(const ah_host_t *host, const char *name,
                               const ah_metric_label_t *labels, uint32_t label_count, double value);
    /* [thread-safe] Sets a gauge. */
    ah_status_t (*gauge_set)(const ah_host_t *host, const char *name,
                             const ah_metric_label_t *labels, uint32_t label_count, double value);
    /* [thread-safe] Records one observation (seconds, for latencies) in a histogram. */
    ah_status_t (*histogram_observe)(const ah_host_t *host, const char *name,
                                     const ah_metric_label_t *labels, uint32_t label_count,
                                     double value);
} ah_host_metrics_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_metric_label_t) == 16, "ah_metric_label_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_host_metrics_t) == 32, "ah_host_metrics_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
