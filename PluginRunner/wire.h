/*
 * agent-host plugin runner — the wire protocol between the host and one runner process.
 * docs/abi.md ("Isolated plugins") describes it; Sources/Host/Isolation/RunnerWire.swift is the
 * host's side and must agree with the numbers below.
 *
 * Binary frames on a Unix stream socket (the runner's fd 3, one end of a socketpair):
 *   u32 body_length (little-endian) | body
 *   body = u8 type | u8 0 | u8 0 | u8 0 | u32 instance | u64 id | u64 arg | i32 status | u32 field_count
 *          then field_count fields, each: u32 length | bytes | one NUL byte (not counted in length)
 * Binary and not JSON: payloads are already JSON or text, so they travel untouched (no escaping,
 * no JSON parser in the runner), and a frame is checked in a handful of comparisons.
 * Limits: body_length <= AH_WIRE_MAX_FRAME, field_count <= AH_WIRE_MAX_FIELDS; anything else, an
 * unknown type or a field running past the body is garbage and ends the connection.
 */
#ifndef AGENT_HOST_RUNNER_WIRE_H
#define AGENT_HOST_RUNNER_WIRE_H

/* Sent in W_HELLO; the host refuses a runner speaking another revision (a stale build). */
#define AH_WIRE_VERSION "agent-host-runner/5"

#define AH_WIRE_HEADER 32u
#define AH_WIRE_MAX_FRAME (16u * 1024u * 1024u)
#define AH_WIRE_MAX_FIELDS 130u
/* The largest payload (a tool's output, a tool result handed to an agent, said text, a state, a
 * session-kv value) one frame carries: what fits in AH_WIRE_MAX_FRAME with room for the header
 * and the frame's other fields. A tool output beyond it is replaced, by whichever side would have
 * sent it, by a failed result (AH_ERR_LIMIT_EXCEEDED) saying so; a larger say/state/kv value is
 * refused with AH_ERR_LIMIT_EXCEEDED. Nothing beyond it is ever sent, so nobody is killed for it. */
#define AH_WIRE_MAX_PAYLOAD (15u * 1024u * 1024u)

/* host -> runner (requests; id = the call/step id, or a request id for CREATE) */
#define W_CREATE        1   /* instance; id=request; fields: component_id, settings_json, granted extension ids (one field each) */
#define W_INVOKE        2   /* instance; id=call_id; fields: session_id, caller_id, arguments_json */
#define W_TOOL_CANCEL   3   /* instance; id=call_id */
#define W_STEP          4   /* instance; id=step_id; fields: session_id, input, context_json */
#define W_TOOL_RESULT   5   /* instance; id=step_id; arg=call_id; status; fields: output */
#define W_STEP_CANCEL   6   /* instance; id=step_id */
#define W_DESTROY       7   /* instance */
#define W_REPLY         8   /* id=the runner's request id; status; arg=a returned id; fields: value? */
#define W_HTTP_RESPONSE 9   /* id=the runner's W_HTTP_REQUEST id; status; arg=http status; fields: body, error_message, then header name/value pairs */
#define W_TIMER_FIRED  10   /* id=the runner's W_TIMER_START id; status=cancelled (0/1) */

/* runner -> host */
#define W_HELLO        20   /* status; fields: AH_WIRE_VERSION, or why the plugin could not be opened */
#define W_CREATED      21   /* instance; id=request; status; fields: message */
#define W_REFUSED      22   /* instance; id=call_id; status; fields: message (invoke refused) */
#define W_STEP_REFUSED 23   /* instance; id=step_id; status; fields: message */
#define W_LOG          24   /* instance; status=level; fields: message */
#define W_TOOL_COMPLETE 25  /* instance; id=call_id; status; fields: output */
#define W_STEP_DONE    26   /* instance; id=step_id; status; fields: message? (0 fields = NULL) */
/* synchronous (answered by W_REPLY with the same id) */
#define W_SAY          30   /* instance; id=request; arg=step_id; fields: text */
#define W_CALL_TOOL    31   /* instance; id=request; arg=step_id; fields: tool_name, arguments_json; reply arg=call_id */
#define W_HANDOFF      32   /* fields: agent_id, reason? */
#define W_ESCALATE     33   /* fields: department?, reason? (empty field = NULL) */
#define W_END_SESSION  34   /* fields: reason? */
#define W_SET_STATE    35   /* fields: state_json */
#define W_KV_GET       36   /* fields: session_id, key; reply fields: value */
#define W_KV_SET       37   /* fields: session_id, key, value */
#define W_KV_REMOVE    38   /* fields: session_id, key */
#define W_HTTP_REQUEST 39   /* arg=timeout_ms; fields: method, url, body, has_body ("1"/"0"), then header name/value pairs, then (revision 5) the decimal id of the tool call being invoked when the request was made, if any; reply arg=request_id, fields: error */
#define W_TIMER_START  40   /* arg=delay_ms; reply arg=timer_id, fields: error */
/* asynchronous */
#define W_METRIC       41   /* instance; status=0 counter,1 gauge,2 histogram; arg=the double's bits; fields: name, then label name/value pairs */
#define W_HTTP_CANCEL  42   /* id=the host's request_id (from the reply) */
#define W_TIMER_CANCEL 43   /* id=the host's timer_id */
/* synchronous, the draft extensions (ext/draft/; added in revision 3) */
#define W_VOICE_HINT   44   /* instance; id=request; arg=step_id; status=length; fields: kind? (empty = NULL); reply fields: error */
#define W_CATALOG_SUBSCRIBE 45 /* instance; id=request */
#define W_CATALOG_FETCH 46  /* instance; id=request; fields: version; reply fields: catalog_json, or the error */
/* synchronous, added in revision 4 (only for an instance granted agent_host.dtmf.draft/0) */
#define W_DTMF_SEND    47   /* instance; id=request; fields: session_id, digits (as given: the host checks them) */

#endif
