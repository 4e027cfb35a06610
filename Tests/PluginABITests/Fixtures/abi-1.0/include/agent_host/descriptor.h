/*
 * agent-host plugin ABI — plugin descriptors.
 *
 * A descriptor says what one plugin is before any instance exists: the host lists it
 * (`agent-host plugins list`), validates it at load time, routes to agents by their profile, and
 * offers tools to agents and models by their profile. All pointers are static: valid until the
 * plugin's `shutdown` returns.
 */
#ifndef AGENT_HOST_DESCRIPTOR_H
#define AGENT_HOST_DESCRIPTOR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AH_PLUGIN_KIND_AGENT 1u   /* a department: takes turns of a conversation */
#define AH_PLUGIN_KIND_TOOL  2u   /* a function agents (or models) may call */

/* Routing and prompting material of an agent (kind AH_PLUGIN_KIND_AGENT). */
typedef struct ah_agent_profile {
    uint32_t struct_size;
    /* One sentence on what this agent handles, written for routing ("Billing questions: balances,
     * invoices, charges, payment plans"). Used by the offline router and as the description of
     * the `transfer_to_<agent>` function a model-backed brain sees. Required. */
    const char *handoff_description;
    /* NULL-terminated list of things callers say that belong to this agent. The offline router
     * trains on them; at least 3 are required for an agent that other agents may route to. */
    const char *const *example_utterances;
    /* Instructions for a model-backed brain driving this agent (its system prompt). Optional. */
    const char *instructions;
    /* NULL-terminated list of tool names this agent calls; the host grants only those enabled
     * for the tenant. May be NULL. */
    const char *const *tool_names;
} ah_agent_profile_t;

/* The function a tool exposes (kind AH_PLUGIN_KIND_TOOL), in OpenAI function-calling terms. */
typedef struct ah_tool_profile {
    uint32_t struct_size;
    /* Function name, [A-Za-z0-9_-]{1,64}, unique among the tools enabled for one tenant. */
    const char *name;
    /* JSON Schema of the arguments: an object schema ({"type":"object","properties":...}). */
    const char *parameters_schema;
} ah_tool_profile_t;

typedef struct ah_plugin_descriptor {
    uint32_t struct_size;
    uint32_t kind;                  /* AH_PLUGIN_KIND_* */
    const char *id;                 /* reverse-DNS, e.g. "com.example.support.billing"; unique per host */
    const char *display_name;       /* e.g. "Billing Agent"; shown to callers' transcripts */
    const char *version;            /* semantic version of the plugin, e.g. "1.2.0" */
    const char *description;        /* what it does, one or two sentences; a tool's function description */
    /* NULL-terminated list of extension ids ("name/REV") the plugin cannot work without; the host
     * refuses to load it when one is missing. May be NULL. */
    const char *const *required_extensions;
    const ah_agent_profile_t *agent;  /* non-NULL exactly when kind == AH_PLUGIN_KIND_AGENT */
    const ah_tool_profile_t *tool;    /* non-NULL exactly when kind == AH_PLUGIN_KIND_TOOL */
} ah_plugin_descriptor_t;

#ifdef AH_LP64
AH_STATIC_ASSERT(sizeof(ah_agent_profile_t) == 40, "ah_agent_profile_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_tool_profile_t) == 24, "ah_tool_profile_t 1.0 layout");
AH_STATIC_ASSERT(sizeof(ah_plugin_descriptor_t) == 64, "ah_plugin_descriptor_t 1.0 layout");
AH_STATIC_ASSERT(offsetof(ah_plugin_descriptor_t, id) == 8, "ah_plugin_descriptor_t 1.0 layout");
AH_STATIC_ASSERT(offsetof(ah_plugin_descriptor_t, tool) == 56, "ah_plugin_descriptor_t 1.0 layout");
#endif

#ifdef __cplusplus
}
#endif
#endif
