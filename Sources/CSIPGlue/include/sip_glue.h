#ifndef SIP_GLUE_H
#define SIP_GLUE_H
/* The host's SIP user agent: Sofia-SIP's nua running its su_root on its OWN thread (Sofia is not
 * thread-safe and must never run on the libuv loop). Swift sees only this header, no Sofia type.
 *
 * Threads: sip_glue_start/stop run on any thread but the SIP thread. Every sip_glue_answer/
 * reject/hangup/refer call is [thread-safe]: it queues a command and wakes the SIP thread through
 * a pipe registered with su_root; the SIP thread performs it. The event callback runs [on the SIP
 * thread]: it must copy what it needs and return at once (Swift hops to its loop).
 * Ownership: every string in an event belongs to the glue and lives only during the callback. */
#include <stdint.h>

typedef struct sip_glue sip_glue;

typedef enum {
    /* A new INVITE (call id new). Answer with sip_glue_answer or sip_glue_reject. */
    SIP_GLUE_INVITE = 1,
    /* The call ended (BYE, CANCEL, our reject or hang-up completed, transfer done). */
    SIP_GLUE_ENDED = 2,
    /* The ACK of our 200 arrived. */
    SIP_GLUE_ACKED = 3,
    /* A REFER we sent was answered (status: its final response). */
    SIP_GLUE_REFERRED = 4,
    /* A line Sofia-SIP logged (its nua, nta, tport and default logs are redirected here instead
     * of stderr): `message`, without the newline. call is 0. */
    SIP_GLUE_LOG = 5,
} sip_glue_event_kind;

typedef struct {
    sip_glue_event_kind kind;
    uint64_t call;
    int status;
    /* INVITE only (NULL otherwise). */
    const char *to_user;       /* Request-URI user part (the called number), may be "" */
    const char *from_user;     /* From URI user part (the caller), may be "" */
    const char *peer_address;  /* the source IP of the request, "" if unknown */
    const char *transport;     /* "udp" or "tcp" */
    const char *media_address; /* the offer's c= address, "" without an audio offer */
    int media_port;            /* the offer's m=audio port, 0 without one */
    int offers_pcmu;           /* payload 0 offered */
    int offers_pcma;           /* payload 8 offered */
    int telephone_event;       /* the telephone-event/8000 payload type, -1 when not offered */
    int malformed_sdp;         /* a body was there but was not SDP Sofia could parse */
    /* LOG only (NULL otherwise). */
    const char *message;
} sip_glue_event;

typedef void (*sip_glue_callback)(void *context, const sip_glue_event *event);

/* Starts the SIP thread listening on `url` (e.g. "sip:127.0.0.1:5060" for UDP and TCP, or with
 * ";transport=udp"). Returns NULL and fills `error` (NUL-terminated) when it cannot bind.
 * Blocks until the stack is up or failed (milliseconds; call it at start-up, never on the loop). */
sip_glue *sip_glue_start(const char *url, sip_glue_callback callback, void *context, char *error, int error_size);
/* Sends BYE on every call, shuts the stack down and joins the thread (at most ~2 s). */
void sip_glue_stop(sip_glue *glue);

/* 200 OK with `sdp` as the answer. */
void sip_glue_answer(sip_glue *glue, uint64_t call, const char *sdp);
/* A final refusal (404, 403, 488, 503, ...). */
void sip_glue_reject(sip_glue *glue, uint64_t call, int status, const char *phrase);
/* BYE (or CANCEL-equivalent refusal when not yet answered). */
void sip_glue_hangup(sip_glue *glue, uint64_t call);
/* REFER with Refer-To: target (blind transfer); BYE follows the REFER's final answer. */
void sip_glue_refer(sip_glue *glue, uint64_t call, const char *target);

#endif
