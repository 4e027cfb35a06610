/*
 * Store Hours — a reference TOOL plugin for agent-host, written in plain C11.
 *
 * It exists to prove that any language with a C compiler can plug into the host: it uses only
 * libc and the ABI headers (agent_host.h), and its shared object exports exactly one symbol,
 * `agent_host_plugin_entry`. Nothing here needs to be included by anyone; SwiftPM C targets
 * simply require an include directory, and this header documents the plugin's contract.
 *
 * Plugin
 *   id            com.agenthost.examples.store-hours
 *   kind          AH_PLUGIN_KIND_TOOL
 *   tool name     store_hours
 *   parameters    {"type":"object",
 *                  "properties":{"date":{"type":"string",
 *                                        "description":"Day to check, YYYY-MM-DD; today when omitted"}},
 *                  "required":[],"additionalProperties":false}
 *   settings      a JSON object; nothing is configurable yet ("{}").
 *
 * Output (completed synchronously through host->tool_complete), e.g.
 *   {"date":"2026-12-25","weekday":"Friday","open":false,"opens":null,"closes":null,
 *    "note":"Christmas Day: closed"}
 *
 * Hours: Mon-Fri 09:00-18:00, Sat 10:00-16:00, Sun closed, plus a table of holidays (closed
 * or closing early). "Today" is the current UTC date.
 *
 * Errors: arguments that are not a JSON object, unknown keys, or a date that is not a real
 * calendar day written YYYY-MM-DD make invoke return AH_ERR_INVALID_ARGUMENT (no completion).
 */
#ifndef STORE_HOURS_H
#define STORE_HOURS_H

#define STORE_HOURS_PLUGIN_ID "com.agenthost.examples.store-hours"
#define STORE_HOURS_TOOL_NAME "store_hours"

#endif
