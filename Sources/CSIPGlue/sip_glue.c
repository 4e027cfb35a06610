/* The host's SIP user agent on Sofia-SIP's nua (docs/telephony.md "SIP trunk"). Why C: nua's API
 * is tag lists (variadic macros Swift cannot call), and Sofia is not thread-safe, so everything
 * that touches it lives on one thread we own. Media stays off in nua (NUTAG_MEDIA_ENABLE(0)):
 * the host answers the SDP itself and runs RTP on its libuv loop; this file only reads the
 * offer with Sofia's SDP parser and sends the answer Swift wrote. */
#define _GNU_SOURCE
#include "sip_glue.h"

#include <sofia-sip/su.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_log.h>
#include <stdarg.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/msg_addr.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { OP_ANSWER, OP_REJECT, OP_HANGUP, OP_REFER, OP_STOP };

typedef struct command {
    struct command *next;
    int op;
    uint64_t call;
    int status;
    char *text;
} command;

typedef struct call_entry {
    struct call_entry *next;
    uint64_t id;
    nua_handle_t *nh;
    int answered;
    char *answer_sdp;  /* kept to answer a re-INVITE with the same session */
} call_entry;

struct sip_glue {
    pthread_t thread;
    pthread_mutex_t lock;  /* guards the command queue only */
    command *head, *tail;
    int pipe_fds[2];
    sip_glue_callback callback;
    void *context;
    char *url;
    /* start-up handshake */
    pthread_mutex_t start_lock;
    pthread_cond_t start_cond;
    int start_state;  /* 0 starting, 1 up, -1 failed */
    char error[256];
    /* SIP thread only */
    su_root_t *root;
    nua_t *nua;
    su_timer_t *stop_timer;
    uint64_t next_call;
    call_entry *calls;
};

static call_entry *find_call(sip_glue *glue, uint64_t id) {
    for (call_entry *entry = glue->calls; entry; entry = entry->next)
        if (entry->id == id) return entry;
    return NULL;
}

static void remove_call(sip_glue *glue, call_entry *gone) {
    for (call_entry **link = &glue->calls; *link; link = &(*link)->next) {
        if (*link == gone) {
            *link = gone->next;
            free(gone->answer_sdp);
            free(gone);
            return;
        }
    }
}

static void report(sip_glue *glue, sip_glue_event_kind kind, uint64_t call, int status) {
    sip_glue_event event;
    memset(&event, 0, sizeof event);
    event.kind = kind;
    event.call = call;
    event.status = status;
    event.telephone_event = -1;
    glue->callback(glue->context, &event);
}

/* Sofia's logs that are not declared in its public headers (exported by libsofia-sip-ua). */
extern su_log_t nua_log[], nta_log[], tport_log[];

/* Sofia logs in pieces (one format per call, the newline in the last): lines are assembled per
 * thread and handed to the host's logger whole.
 *
 * Sofia's log objects are process-wide, so they cannot point at one stack: the stack that started
 * last owns them (`log_owner`), each line goes to its callback under `log_lock`, and a stack that
 * stops or fails to start gives them up before it is freed (a line then has nowhere to go and is
 * dropped). */
static _Thread_local char log_line[512];
static _Thread_local size_t log_used;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static sip_glue *log_owner;

static void own_logs(sip_glue *glue) {
    pthread_mutex_lock(&log_lock);
    log_owner = glue;
    pthread_mutex_unlock(&log_lock);
}

static void disown_logs(sip_glue *glue) {
    pthread_mutex_lock(&log_lock);
    if (log_owner == glue) log_owner = NULL;
    pthread_mutex_unlock(&log_lock);
}

static void glue_log(void *stream, char const *fmt, va_list ap) {
    (void)stream;
    char piece[512];
    int n = vsnprintf(piece, sizeof piece, fmt, ap);
    if (n <= 0) return;
    for (const char *c = piece; *c; c++) {
        if (*c == '\n' || log_used + 1 >= sizeof log_line) {
            log_line[log_used] = '\0';
            pthread_mutex_lock(&log_lock);
            if (log_used > 0 && log_owner) {
                sip_glue_event event;
                memset(&event, 0, sizeof event);
                event.kind = SIP_GLUE_LOG;
                event.telephone_event = -1;
                event.message = log_line;
                log_owner->callback(log_owner->context, &event);
            }
            pthread_mutex_unlock(&log_lock);
            log_used = 0;
            if (*c == '\n') continue;
        }
        log_line[log_used++] = *c;
    }
}

static const char *user_of(const url_t *url) { return url && url->url_user ? url->url_user : ""; }

/* The offer's audio: address, port, which G.711 laws and the telephone-event payload. */
static void read_offer(const sip_t *sip, sip_glue_event *event, char *address, size_t address_size) {
    if (!sip->sip_payload || !sip->sip_payload->pl_data || sip->sip_payload->pl_len == 0) return;
    su_home_t home[1] = { SU_HOME_INIT(home) };
    sdp_parser_t *parser = sdp_parse(home, sip->sip_payload->pl_data, (issize_t)sip->sip_payload->pl_len, 0);
    sdp_session_t *session = sdp_session(parser);
    if (!session) {
        event->malformed_sdp = 1;
    } else {
        for (sdp_media_t *media = session->sdp_media; media; media = media->m_next) {
            if (media->m_type != sdp_media_audio || media->m_port == 0 || media->m_proto != sdp_proto_rtp) continue;
            sdp_connection_t *connection = media->m_connections ? media->m_connections : session->sdp_connection;
            if (connection && connection->c_address) snprintf(address, address_size, "%s", connection->c_address);
            event->media_port = (int)media->m_port;
            for (sdp_rtpmap_t *map = media->m_rtpmaps; map; map = map->rm_next) {
                if (map->rm_pt == 0) event->offers_pcmu = 1;
                else if (map->rm_pt == 8) event->offers_pcma = 1;
                else if (map->rm_encoding && strcasecmp(map->rm_encoding, "telephone-event") == 0 && map->rm_rate == 8000)
                    event->telephone_event = (int)map->rm_pt;
            }
            break;
        }
    }
    sdp_parser_free(parser);
    su_home_deinit(home);
}

static void new_invite(sip_glue *glue, nua_handle_t *nh, const sip_t *sip) {
    call_entry *entry = calloc(1, sizeof *entry);
    if (!entry) { nua_respond(nh, 503, "Service Unavailable", TAG_END()); nua_handle_destroy(nh); return; }
    entry->id = ++glue->next_call;
    entry->nh = nh;
    entry->next = glue->calls;
    glue->calls = entry;
    nua_handle_bind(nh, (nua_hmagic_t *)entry);

    sip_glue_event event;
    memset(&event, 0, sizeof event);
    event.kind = SIP_GLUE_INVITE;
    event.call = entry->id;
    event.telephone_event = -1;
    event.to_user = sip->sip_request ? user_of(sip->sip_request->rq_url) : "";
    event.from_user = sip->sip_from ? user_of(sip->sip_from->a_url) : "";
    char peer[NI_MAXHOST] = "";
    event.transport = "udp";
    msg_t *request = nua_current_request(glue->nua);
    su_addrinfo_t *info = request ? msg_addrinfo(request) : NULL;
    if (info && info->ai_addr) {
        getnameinfo(info->ai_addr, (socklen_t)info->ai_addrlen, peer, sizeof peer, NULL, 0, NI_NUMERICHOST);
        if (info->ai_protocol == IPPROTO_TCP) event.transport = "tcp";
    }
    event.peer_address = peer;
    char media[NI_MAXHOST] = "";
    read_offer(sip, &event, media, sizeof media);
    event.media_address = media;
    glue->callback(glue->context, &event);
}

static void on_nua(nua_event_t kind, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
                   nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[]) {
    (void)phrase; (void)nua;
    sip_glue *glue = (sip_glue *)magic;
    call_entry *entry = (call_entry *)hmagic;
    switch (kind) {
    case nua_i_invite:
        if (!entry && sip) { new_invite(glue, nh, sip); break; }
        /* A re-INVITE (session refresh, hold): the same answer. */
        if (entry && entry->answer_sdp)
            nua_respond(nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(entry->answer_sdp), TAG_END());
        break;
    case nua_i_ack:
        if (entry) report(glue, SIP_GLUE_ACKED, entry->id, 0);
        break;
    case nua_i_state: {
        int state = -1;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state == nua_callstate_terminated && entry) {
            uint64_t id = entry->id;
            nua_handle_bind(nh, NULL);
            remove_call(glue, entry);
            nua_handle_destroy(nh);
            report(glue, SIP_GLUE_ENDED, id, status);
        }
        break;
    }
    case nua_r_refer:
        if (entry && status >= 200) {
            report(glue, SIP_GLUE_REFERRED, entry->id, status);
            nua_bye(nh, TAG_END());
        }
        break;
    case nua_r_shutdown:
        if (status >= 200) su_root_break(glue->root);
        break;
    case nua_i_options:
        /* nua answered it (200 with Allow/Accept); the handle it made for it is ours to free. */
        if (!entry) nua_handle_destroy(nh);
        break;
    default:
        break;
    }
}

static void stop_timeout(su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg) {
    (void)magic; (void)timer;
    su_root_break(((sip_glue *)arg)->root);
}

static void perform(sip_glue *glue, command *cmd) {
    if (cmd->op == OP_STOP) {
        for (call_entry *entry = glue->calls; entry; entry = entry->next) {
            if (entry->answered) nua_bye(entry->nh, TAG_END());
            else nua_respond(entry->nh, 503, "Service Unavailable", TAG_END());
        }
        nua_shutdown(glue->nua);
        glue->stop_timer = su_timer_create(su_root_task(glue->root), 2000);
        if (glue->stop_timer) su_timer_set(glue->stop_timer, stop_timeout, glue);
        return;
    }
    call_entry *entry = find_call(glue, cmd->call);
    if (!entry) return;  /* ended meanwhile */
    switch (cmd->op) {
    case OP_ANSWER:
        free(entry->answer_sdp);
        entry->answer_sdp = cmd->text;
        cmd->text = NULL;
        entry->answered = 1;
        nua_respond(entry->nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(entry->answer_sdp), TAG_END());
        break;
    case OP_REJECT: {
        /* nua_respond() keeps the phrase's pointer, not a copy, until its stack takes the signal
         * later on this thread, and cmd->text is freed before that: peers got freed memory as
         * the reason phrase, and dropped the refusal when it held a line break. The copy lives
         * in the handle's own memory, which the pending signal keeps alive. */
        char const *phrase = su_strdup(nua_handle_home(entry->nh), cmd->text ? cmd->text : "Rejected");
        nua_respond(entry->nh, cmd->status, phrase ? phrase : "Rejected", TAG_END());
        break;
    }
    case OP_HANGUP:
        if (entry->answered) nua_bye(entry->nh, TAG_END());
        else nua_respond(entry->nh, 480, "Temporarily Unavailable", TAG_END());
        break;
    case OP_REFER:
        nua_refer(entry->nh, SIPTAG_REFER_TO_STR(cmd->text), TAG_END());
        break;
    }
}

static int on_wake(su_root_magic_t *magic, su_wait_t *wait, su_wakeup_arg_t *arg) {
    (void)magic; (void)wait;
    sip_glue *glue = (sip_glue *)arg;
    char drain[64];
    while (read(glue->pipe_fds[0], drain, sizeof drain) > 0) {}
    pthread_mutex_lock(&glue->lock);
    command *cmd = glue->head;
    glue->head = glue->tail = NULL;
    pthread_mutex_unlock(&glue->lock);
    while (cmd) {
        command *next = cmd->next;
        perform(glue, cmd);
        free(cmd->text);
        free(cmd);
        cmd = next;
    }
    return 0;
}

static void started(sip_glue *glue, int state) {
    pthread_mutex_lock(&glue->start_lock);
    glue->start_state = state;
    pthread_cond_signal(&glue->start_cond);
    pthread_mutex_unlock(&glue->start_lock);
}

static void *run(void *arg) {
    sip_glue *glue = (sip_glue *)arg;
    su_init();
    own_logs(glue);
    su_log_redirect(su_log_default, glue_log, NULL);
    su_log_redirect(nua_log, glue_log, NULL);
    su_log_redirect(nta_log, glue_log, NULL);
    su_log_redirect(tport_log, glue_log, NULL);
    glue->root = su_root_create(NULL);
    if (!glue->root) {
        snprintf(glue->error, sizeof glue->error, "Sofia-SIP could not create its event root");
        su_deinit();
        started(glue, -1);
        return NULL;
    }
    errno = 0;
    glue->nua = nua_create(glue->root, on_nua, (nua_magic_t *)glue,
                           NUTAG_URL(glue->url),
                           NUTAG_MEDIA_ENABLE(0),
                           NUTAG_AUTOANSWER(0),
                           NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY"),
                           SIPTAG_USER_AGENT_STR("agent-host"),
                           TAG_END());
    if (!glue->nua) {
        snprintf(glue->error, sizeof glue->error, "cannot listen on %s: %s", glue->url,
                 errno ? strerror(errno) : "address in use or not local");
        su_root_destroy(glue->root);
        su_deinit();
        started(glue, -1);
        return NULL;
    }
    su_wait_t wait[1];
    su_wait_create(wait, glue->pipe_fds[0], SU_WAIT_IN);
    int wake_index = su_root_register(glue->root, wait, on_wake, glue, 0);
    started(glue, 1);
    su_root_run(glue->root);
    if (wake_index > 0) su_root_deregister(glue->root, wake_index);
    nua_destroy(glue->nua);
    if (glue->stop_timer) su_timer_destroy(glue->stop_timer);
    su_root_destroy(glue->root);
    su_deinit();
    return NULL;
}

sip_glue *sip_glue_start(const char *url, sip_glue_callback callback, void *context, char *error, int error_size) {
    sip_glue *glue = calloc(1, sizeof *glue);
    if (!glue) return NULL;
    glue->callback = callback;
    glue->context = context;
    glue->url = strdup(url);
    pthread_mutex_init(&glue->lock, NULL);
    pthread_mutex_init(&glue->start_lock, NULL);
    pthread_cond_init(&glue->start_cond, NULL);
    if (pipe2(glue->pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0 ||
        pthread_create(&glue->thread, NULL, run, glue) != 0) {
        snprintf(error, (size_t)error_size, "cannot start the SIP thread: %s", strerror(errno));
        free(glue->url);
        free(glue);
        return NULL;
    }
    pthread_mutex_lock(&glue->start_lock);
    while (glue->start_state == 0) pthread_cond_wait(&glue->start_cond, &glue->start_lock);
    int state = glue->start_state;
    pthread_mutex_unlock(&glue->start_lock);
    if (state < 0) {
        pthread_join(glue->thread, NULL);
        disown_logs(glue);
        snprintf(error, (size_t)error_size, "%s", glue->error);
        close(glue->pipe_fds[0]);
        close(glue->pipe_fds[1]);
        free(glue->url);
        free(glue);
        return NULL;
    }
    return glue;
}

static void enqueue(sip_glue *glue, int op, uint64_t call, int status, const char *text) {
    command *cmd = calloc(1, sizeof *cmd);
    if (!cmd) return;
    cmd->op = op;
    cmd->call = call;
    cmd->status = status;
    cmd->text = text ? strdup(text) : NULL;
    pthread_mutex_lock(&glue->lock);
    if (glue->tail) glue->tail->next = cmd; else glue->head = cmd;
    glue->tail = cmd;
    pthread_mutex_unlock(&glue->lock);
    char wake = 1;
    ssize_t written = write(glue->pipe_fds[1], &wake, 1);
    (void)written;  /* a full pipe already holds a wake-up */
}

void sip_glue_answer(sip_glue *glue, uint64_t call, const char *sdp) { enqueue(glue, OP_ANSWER, call, 200, sdp); }
void sip_glue_reject(sip_glue *glue, uint64_t call, int status, const char *phrase) { enqueue(glue, OP_REJECT, call, status, phrase); }
void sip_glue_hangup(sip_glue *glue, uint64_t call) { enqueue(glue, OP_HANGUP, call, 0, NULL); }
void sip_glue_refer(sip_glue *glue, uint64_t call, const char *target) { enqueue(glue, OP_REFER, call, 0, target); }

void sip_glue_stop(sip_glue *glue) {
    if (!glue) return;
    enqueue(glue, OP_STOP, 0, 0, NULL);
    pthread_join(glue->thread, NULL);
    disown_logs(glue);
    /* commands queued after the stop are dropped */
    command *cmd = glue->head;
    while (cmd) { command *next = cmd->next; free(cmd->text); free(cmd); cmd = next; }
    while (glue->calls) { call_entry *next = glue->calls->next; free(glue->calls->answer_sdp); free(glue->calls); glue->calls = next; }
    close(glue->pipe_fds[0]);
    close(glue->pipe_fds[1]);
    free(glue->url);
    free(glue);
}
