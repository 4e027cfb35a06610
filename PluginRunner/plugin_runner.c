/*
 * agent-host-plugin-runner: runs one plugin shared object for one tenant in its own process, so a
 * crash, a hang or a leak in the plugin costs only this process (docs/abi.md, "Isolated plugins").
 *
 *   agent-host-plugin-runner <plugin.so> <tenant_id> <max_memory_mb>      (host socket on fd 3)
 *
 * Built with: cc -std=c11 -O2 -pthread -I Sources/PluginABI/include -I PluginRunner
 *             -o agent-host-plugin-runner PluginRunner/plugin_runner.c -ldl -lseccomp
 *
 * Plain C with no language runtime of its own: a Swift plugin brings the runtime its RUNPATH
 * names, so a plugin built by another Swift toolchain than the host's runs here.
 * Threads: the main thread reads the host's frames and dispatches them into the plugin, one at a
 * time, in order, on the thread that read them (no hand-off per call). Reading is a turn that one
 * thread holds at a time: a plugin's synchronous host call (agent_say, agent_call_tool,
 * session-kv, http/timer start) sends its request and waits for its W_REPLY, reading the socket
 * itself when no other thread is (so a reply arrives even while the main thread is busy inside
 * the plugin); requests read meanwhile are queued for the main thread. Answers to frames that
 * arrived together are written together, in one write.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent_host/entry.h"
#include "agent_host/factory.h"
#include "agent_host/agent.h"
#include "agent_host/tool.h"
#include "agent_host/ext/session_kv.h"
#include "agent_host/ext/metrics.h"
#include "agent_host/ext/http.h"
#include "agent_host/ext/timer.h"
#include "agent_host/ext/draft/voice_hint.h"
#include "agent_host/ext/draft/catalog.h"
#include "agent_host/ext/draft/dtmf.h"
#include "wire.h"

#define SOCK 3
#define MAX_INSTANCES 256

/* ---------- frames ---------- */

typedef struct frame {
    uint8_t type;
    uint32_t instance;
    uint64_t id, arg;
    int32_t status;
    uint32_t count;
    const char *field[AH_WIRE_MAX_FIELDS];
    uint32_t len[AH_WIRE_MAX_FIELDS];
    char *body;
    struct frame *next;
} frame_t;

typedef struct { char *data; size_t len, cap; } buf_t;

static void buf_put(buf_t *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n) cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) _exit(70);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_header(buf_t *b, uint8_t type, uint32_t instance, uint64_t id, uint64_t arg, int32_t status) {
    uint32_t zero = 0;
    uint8_t head[4] = {type, 0, 0, 0};
    buf_put(b, &zero, 4);              /* body length, patched by send_frame */
    buf_put(b, head, 4);
    buf_put(b, &instance, 4);
    buf_put(b, &id, 8);
    buf_put(b, &arg, 8);
    buf_put(b, &status, 4);
    buf_put(b, &zero, 4);              /* field count, patched by buf_field */
}

static void buf_field(buf_t *b, const char *s, size_t n) {
    uint32_t len = (uint32_t)n, count;
    char nul = 0;
    buf_put(b, &len, 4);
    if (n) buf_put(b, s, n);
    buf_put(b, &nul, 1);
    memcpy(&count, b->data + 4 + 28, 4);
    count++;
    memcpy(b->data + 4 + 28, &count, 4);
}

static void buf_str(buf_t *b, const char *s) { buf_field(b, s ? s : "", s ? strlen(s) : 0); }

static void free_frame(frame_t *f) { if (f) { free(f->body); free(f); } }

static const char *field(const frame_t *f, uint32_t i) { return i < f->count ? f->field[i] : ""; }
static size_t field_len(const frame_t *f, uint32_t i) { return i < f->count ? f->len[i] : 0; }
static const char *optional(const frame_t *f, uint32_t i) { return field_len(f, i) ? f->field[i] : NULL; }

/* ---------- writing: one outgoing buffer, written by whichever thread sends ---------- */

static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static buf_t out;                      /* frames not written yet; guarded by write_lock */
/* Set on the main thread while it dispatches a frame that has more frames queued behind it:
 * what the plugin sends meanwhile waits in `out` and leaves in one write after the batch. */
static __thread int deferring;

static void write_all(const char *p, size_t n) {
    while (n) {
        ssize_t w = write(SOCK, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(0);          /* the host went away: nothing left to serve */
        p += w;
        n -= (size_t)w;
    }
}

static void flush_locked(void) {
    write_all(out.data, out.len);
    out.len = 0;
    if (out.cap > (1u << 20)) { free(out.data); out = (buf_t){0}; }
}

static void flush_out(void) {
    pthread_mutex_lock(&write_lock);
    if (out.len) flush_locked();
    pthread_mutex_unlock(&write_lock);
}

static void send_frame(buf_t *b) {
    uint32_t body = (uint32_t)(b->len - 4);
    memcpy(b->data, &body, 4);
    pthread_mutex_lock(&write_lock);
    if (!deferring && !out.len) {
        write_all(b->data, b->len);    /* nothing waiting: no copy */
    } else {
        buf_put(&out, b->data, b->len);
        if (!deferring) flush_locked();
    }
    pthread_mutex_unlock(&write_lock);
    free(b->data);
}

/* ---------- reading: whichever thread needs a frame reads, one at a time ---------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Broadcast when requests were queued, replies filed, or the reading turn was given back. */
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static frame_t *head, *tail;           /* requests for the main thread, in order */
static int reading;                    /* a thread holds the reading turn (at most one) */

typedef struct waiter { uint64_t id; frame_t *reply; struct waiter *next; } waiter_t;
static waiter_t *waiters;
static uint64_t next_request = 1;

/* Bytes read and not yet cut into frames: touched only by the thread holding the reading turn. */
static char *rbuf;
static size_t rlen, rcap;

/* Cuts the frame at rbuf[*pos], or returns NULL when it is not complete yet. Garbage from the
 * host ends the process (exit 65). */
static frame_t *cut_frame(size_t *pos) {
    size_t avail = rlen - *pos;
    uint32_t body;
    if (avail < 4) return NULL;
    memcpy(&body, rbuf + *pos, 4);
    if (body < AH_WIRE_HEADER || body > AH_WIRE_MAX_FRAME) _exit(65);
    if (avail < 4 + (size_t)body) return NULL;
    frame_t *f = calloc(1, sizeof *f);
    if (!f || !(f->body = malloc(body))) _exit(70);
    memcpy(f->body, rbuf + *pos + 4, body);
    *pos += 4 + (size_t)body;
    const char *p = f->body;
    f->type = (uint8_t)p[0];
    memcpy(&f->instance, p + 4, 4);
    memcpy(&f->id, p + 8, 8);
    memcpy(&f->arg, p + 16, 8);
    memcpy(&f->status, p + 24, 4);
    memcpy(&f->count, p + 28, 4);
    if (f->count > AH_WIRE_MAX_FIELDS) _exit(65);
    size_t off = AH_WIRE_HEADER;
    for (uint32_t i = 0; i < f->count; i++) {
        uint32_t len;
        if (off + 4 > body) _exit(65);
        memcpy(&len, p + off, 4);
        off += 4;
        if (len > body - off || off + len + 1 > body || p[off + len] != 0) _exit(65);
        f->field[i] = p + off;
        f->len[i] = len;
        off += len + 1;
    }
    return f;
}

/* How long a reader polls the socket before it sleeps in read() (the host passes the operator's
 * `plugins: supervision: spin_us`, default 50). On an idle machine a thread that sleeps takes
 * 15-20 us to wake (its vCPU idles too), which was most of an isolated call's cost (47 us p50
 * idle against 19 us with the spin, docs/benchmarks.md); the host's next frame usually follows
 * within a few microseconds. Bounded: at most this much CPU per wait, given away with
 * sched_yield whenever another thread wants the CPU; a runner with nothing to do sleeps. */
static long long spin_ns = 50000;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* read() on the socket, polled without blocking for up to SPIN_NS first. */
static ssize_t spin_read(char *into, size_t room) {
    if (spin_ns <= 0) return read(SOCK, into, room);
    long long until = now_ns() + spin_ns;
    do {
        ssize_t r = recv(SOCK, into, room, MSG_DONTWAIT);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return r;
        sched_yield();                 /* a contended CPU goes to whoever is runnable (the host) */
    } while (now_ns() < until);
    return read(SOCK, into, room);
}

/* Called with `lock` held by the thread that just took the reading turn: reads (blocking) until
 * at least one whole frame arrived, taking every whole frame one read returned, files replies
 * with their waiters and queues the rest, then gives the turn back. End of stream: exit. */
static void read_some(void) {
    pthread_mutex_unlock(&lock);
    frame_t *got = NULL, **last = &got;
    while (!got) {
        size_t need = rlen + 65536;
        if (rlen >= 4) {               /* room for the whole frame that has begun */
            uint32_t body;
            memcpy(&body, rbuf, 4);
            if (body <= AH_WIRE_MAX_FRAME && 4 + (size_t)body > need) need = 4 + (size_t)body;
        }
        if (need > rcap) {
            if (!(rbuf = realloc(rbuf, need))) _exit(70);
            rcap = need;
        }
        ssize_t r = spin_read(rbuf + rlen, rcap - rlen);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) _exit(0);          /* the host closed the socket: stop */
        rlen += (size_t)r;
        size_t pos = 0;
        frame_t *f;
        while ((f = cut_frame(&pos))) { *last = f; last = &f->next; }
        memmove(rbuf, rbuf + pos, rlen - pos);
        rlen -= pos;
    }
    if (rlen == 0 && rcap > (1u << 20)) { free(rbuf); rbuf = NULL; rcap = 0; }  /* after a huge frame */
    pthread_mutex_lock(&lock);
    while (got) {
        frame_t *f = got;
        got = f->next;
        f->next = NULL;
        if (f->type == W_REPLY) {
            waiter_t *w = waiters;
            while (w && w->id != f->id) w = w->next;
            if (w) w->reply = f; else free_frame(f);
        } else {
            if (tail) tail->next = f; else head = f;
            tail = f;
        }
    }
    reading = 0;
    pthread_cond_broadcast(&changed);
}

static uint64_t new_request_id(void) {
    pthread_mutex_lock(&lock);
    uint64_t id = next_request++;
    pthread_mutex_unlock(&lock);
    return id;
}

/* Sends a synchronous request built in `b` under request id `id` (0 = a new one) and waits for
 * its reply, reading the socket itself when no other thread is. */
static frame_t *call_host_id(buf_t *b, uint64_t id) {
    waiter_t w = {0};
    pthread_mutex_lock(&lock);
    w.id = id ? id : next_request++;
    w.next = waiters;
    waiters = &w;
    pthread_mutex_unlock(&lock);
    memcpy(b->data + 4 + 8, &w.id, 8);
    int deferred = deferring;
    deferring = 0;                     /* the request (and what waited before it) goes now */
    send_frame(b);
    deferring = deferred;
    pthread_mutex_lock(&lock);
    while (!w.reply) {
        if (!reading) { reading = 1; read_some(); }
        else pthread_cond_wait(&changed, &lock);
    }
    waiter_t **p = &waiters;
    while (*p != &w) p = &(*p)->next;
    *p = w.next;
    pthread_mutex_unlock(&lock);
    return w.reply;
}

static frame_t *call_host(buf_t *b) { return call_host_id(b, 0); }


/* ---------- the plugin and its instances ---------- */

typedef struct instance {
    ah_host_t host;                    /* host_data points back here */
    uint32_t index;
    const ah_plugin_t *plugin;
    const ah_tool_t *tool;
    const ah_agent_t *agent;
    int granted_kv, granted_metrics, granted_http, granted_timer, granted_dtmf;
} instance_t;

static instance_t instances[MAX_INSTANCES];
static const ah_plugin_entry_t *entry;
static const ah_plugin_factory_t *factory;
static char tenant[256];

static uint32_t index_of(const ah_host_t *host) { return ((instance_t *)host->host_data)->index; }

static void host_log(const ah_host_t *host, int32_t level, const char *message) {
    buf_t b = {0};
    size_t len = message ? strlen(message) : 0;
    buf_header(&b, W_LOG, index_of(host), 0, 0, level);
    buf_field(&b, message ? message : "", len > AH_WIRE_MAX_PAYLOAD ? AH_WIRE_MAX_PAYLOAD : len);
    send_frame(&b);
}

static void host_tool_complete(const ah_host_t *host, uint64_t call_id, ah_status_t status, const char *output, size_t len) {
    char refused[200];
    if (output && len > AH_WIRE_MAX_PAYLOAD) {
        int n = snprintf(refused, sizeof refused, "the tool's output (%zu bytes) is larger than an isolated plugin's result may be (%u bytes)",
                         len, AH_WIRE_MAX_PAYLOAD);
        status = AH_ERR_LIMIT_EXCEEDED;
        output = refused;
        len = (size_t)n;
    }
    buf_t b = {0};
    buf_header(&b, W_TOOL_COMPLETE, index_of(host), call_id, 0, status);
    buf_field(&b, output ? output : "", output ? len : 0);
    send_frame(&b);
}

static ah_status_t simple_call(buf_t *b, uint64_t *out_arg) {
    frame_t *r = call_host(b);
    ah_status_t status = r->status;
    if (out_arg) *out_arg = r->arg;
    free_frame(r);
    return status;
}

static ah_status_t agent_say(const ah_host_t *host, uint64_t step, const char *text, size_t len) {
    if (len > AH_WIRE_MAX_PAYLOAD) return AH_ERR_LIMIT_EXCEEDED;
    buf_t b = {0};
    buf_header(&b, W_SAY, index_of(host), 0, step, 0);
    buf_field(&b, text ? text : "", text ? len : 0);
    return simple_call(&b, NULL);
}

static ah_status_t agent_call_tool(const ah_host_t *host, uint64_t step, const char *name, const char *args, size_t len, uint64_t *out) {
    if (!name) return AH_ERR_INVALID_ARGUMENT;
    if (len > AH_WIRE_MAX_PAYLOAD) return AH_ERR_LIMIT_EXCEEDED;
    buf_t b = {0};
    uint64_t id = 0;
    buf_header(&b, W_CALL_TOOL, index_of(host), 0, step, 0);
    buf_str(&b, name);
    buf_field(&b, args ? args : "", args ? len : 0);
    ah_status_t status = simple_call(&b, &id);
    if (status == AH_OK && out) *out = id;
    return status;
}

static ah_status_t agent_two(uint8_t type, const ah_host_t *host, uint64_t step, const char *a, const char *r) {
    buf_t b = {0};
    buf_header(&b, type, index_of(host), 0, step, 0);
    buf_str(&b, a);
    buf_str(&b, r);
    return simple_call(&b, NULL);
}

static ah_status_t agent_handoff(const ah_host_t *h, uint64_t s, const char *agent, const char *reason) {
    return agent ? agent_two(W_HANDOFF, h, s, agent, reason) : AH_ERR_INVALID_ARGUMENT;
}
static ah_status_t agent_escalate(const ah_host_t *h, uint64_t s, const char *dept, const char *reason) {
    return agent_two(W_ESCALATE, h, s, dept, reason);
}
static ah_status_t agent_end_session(const ah_host_t *h, uint64_t s, const char *reason) {
    return agent_two(W_END_SESSION, h, s, reason, NULL);
}
static ah_status_t agent_set_state(const ah_host_t *host, uint64_t step, const char *state, size_t len) {
    if (len > AH_WIRE_MAX_PAYLOAD) return AH_ERR_LIMIT_EXCEEDED;
    buf_t b = {0};
    buf_header(&b, W_SET_STATE, index_of(host), 0, step, 0);
    buf_field(&b, state ? state : "", state ? len : 0);
    return simple_call(&b, NULL);
}

static void agent_step_done(const ah_host_t *host, uint64_t step, ah_status_t status, const char *message) {
    buf_t b = {0};
    buf_header(&b, W_STEP_DONE, index_of(host), step, 0, status);
    if (message) buf_str(&b, message);
    send_frame(&b);
}

/* ---- session-kv ---- */

static ah_status_t kv_get(const ah_host_t *host, const char *session, const char *key, ah_kv_reader_t reader, void *ud) {
    if (!session || !key || !reader) return AH_ERR_INVALID_ARGUMENT;
    buf_t b = {0};
    buf_header(&b, W_KV_GET, index_of(host), 0, 0, 0);
    buf_str(&b, session);
    buf_str(&b, key);
    frame_t *r = call_host(&b);
    ah_status_t status = r->status;
    if (status == AH_OK) reader(ud, field(r, 0), field_len(r, 0));
    free_frame(r);
    return status;
}

static ah_status_t kv_set(const ah_host_t *host, const char *session, const char *key, const char *value, size_t len) {
    if (!session || !key) return AH_ERR_INVALID_ARGUMENT;
    if (len > AH_WIRE_MAX_PAYLOAD) return AH_ERR_LIMIT_EXCEEDED;
    buf_t b = {0};
    buf_header(&b, W_KV_SET, index_of(host), 0, 0, 0);
    buf_str(&b, session);
    buf_str(&b, key);
    buf_field(&b, value ? value : "", value ? len : 0);
    return simple_call(&b, NULL);
}

static ah_status_t kv_remove(const ah_host_t *host, const char *session, const char *key) {
    if (!session || !key) return AH_ERR_INVALID_ARGUMENT;
    buf_t b = {0};
    buf_header(&b, W_KV_REMOVE, index_of(host), 0, 0, 0);
    buf_str(&b, session);
    buf_str(&b, key);
    return simple_call(&b, NULL);
}

static const ah_host_session_kv_t kv_table = {sizeof(ah_host_session_kv_t), kv_get, kv_set, kv_remove};

/* ---- metrics (asynchronous: a refused metric is logged by the host) ---- */

static ah_status_t metric(int32_t kind, const ah_host_t *host, const char *name, const ah_metric_label_t *labels, uint32_t count, double value) {
    if (!name || (count && !labels) || count > (AH_WIRE_MAX_FIELDS - 1) / 2) return AH_ERR_INVALID_ARGUMENT;
    buf_t b = {0};
    uint64_t bits;
    memcpy(&bits, &value, 8);
    buf_header(&b, W_METRIC, index_of(host), 0, bits, kind);
    buf_str(&b, name);
    for (uint32_t i = 0; i < count; i++) { buf_str(&b, labels[i].name); buf_str(&b, labels[i].value); }
    send_frame(&b);
    return AH_OK;
}
static ah_status_t counter_add(const ah_host_t *h, const char *n, const ah_metric_label_t *l, uint32_t c, double v) { return metric(0, h, n, l, c, v); }
static ah_status_t gauge_set(const ah_host_t *h, const char *n, const ah_metric_label_t *l, uint32_t c, double v) { return metric(1, h, n, l, c, v); }
static ah_status_t histogram_observe(const ah_host_t *h, const char *n, const ah_metric_label_t *l, uint32_t c, double v) { return metric(2, h, n, l, c, v); }

static const ah_host_metrics_t metrics_table = {sizeof(ah_host_metrics_t), counter_add, gauge_set, histogram_observe};

/* ---- http and timer: the host runs them; callbacks come back as frames ---- */

/* Keyed by the runner's request id (registered before the request is sent, so a response can
 * never arrive first); `host_id` is the id the host returned, which the plugin sees. */
typedef struct pending_cb { uint64_t id, host_id; int is_timer; void *fn; void *ud; struct pending_cb *next; } pending_cb_t;
static pending_cb_t *callbacks;        /* guarded by `lock` */

static void remember(uint64_t id, int is_timer, void *fn, void *ud) {
    pending_cb_t *c = malloc(sizeof *c);
    if (!c) _exit(70);
    *c = (pending_cb_t){id, 0, is_timer, fn, ud, NULL};
    pthread_mutex_lock(&lock);
    c->next = callbacks;
    callbacks = c;
    pthread_mutex_unlock(&lock);
}

static pending_cb_t *take(uint64_t id, int is_timer) {
    pthread_mutex_lock(&lock);
    pending_cb_t **p = &callbacks, *c = NULL;
    while (*p && !((*p)->id == id && (*p)->is_timer == is_timer)) p = &(*p)->next;
    if (*p) { c = *p; *p = c->next; }
    pthread_mutex_unlock(&lock);
    return c;
}

static void set_host_id(uint64_t id, uint64_t host_id) {
    pthread_mutex_lock(&lock);
    for (pending_cb_t *c = callbacks; c; c = c->next) if (c->id == id) c->host_id = host_id;
    pthread_mutex_unlock(&lock);
}

static void copy_error(ah_error_t *error, const frame_t *r) {
    if (error && r->count) snprintf(error->message, sizeof error->message, "%s", field(r, 0));
}

/* The tool call this thread is running (the W_INVOKE being dispatched), 0 outside one: an HTTP
   request made during it names it, so the host puts the call's trace context on the request. */
static _Thread_local uint64_t current_call = 0;

static ah_status_t http_request(const ah_host_t *host, const ah_http_request_t *req, ah_http_callback_t cb, void *ud, uint64_t *out, ah_error_t *error) {
    if (!req || !cb || !req->method || !req->url || req->header_count > (AH_WIRE_MAX_FIELDS - 5) / 2) return AH_ERR_INVALID_ARGUMENT;
    if (req->body && req->body_len > AH_WIRE_MAX_PAYLOAD) return AH_ERR_LIMIT_EXCEEDED;
    buf_t b = {0};
    buf_header(&b, W_HTTP_REQUEST, index_of(host), 0, req->timeout_ms, 0);
    buf_str(&b, req->method);
    buf_str(&b, req->url);
    buf_field(&b, req->body ? req->body : "", req->body ? req->body_len : 0);
    buf_str(&b, req->body ? "1" : "0");
    for (uint32_t i = 0; i < req->header_count; i++) { buf_str(&b, req->headers[i].name); buf_str(&b, req->headers[i].value); }
    if (current_call) {
        char call[24];
        snprintf(call, sizeof call, "%llu", (unsigned long long)current_call);
        buf_str(&b, call);
    }
    uint64_t id = new_request_id();
    remember(id, 0, (void *)cb, ud);
    frame_t *r = call_host_id(&b, id);
    ah_status_t status = r->status;
    if (status == AH_OK) {
        set_host_id(id, r->arg);
        if (out) *out = r->arg;
    } else { free(take(id, 0)); copy_error(error, r); }
    free_frame(r);
    return status;
}

static void http_cancel(const ah_host_t *host, uint64_t id) {
    buf_t b = {0};
    buf_header(&b, W_HTTP_CANCEL, index_of(host), id, 0, 0);
    send_frame(&b);
}

static const ah_host_http_t http_table = {sizeof(ah_host_http_t), http_request, http_cancel};

static ah_status_t timer_start(const ah_host_t *host, uint64_t delay, ah_timer_callback_t cb, void *ud, uint64_t *out, ah_error_t *error) {
    if (!cb) return AH_ERR_INVALID_ARGUMENT;
    buf_t b = {0};
    buf_header(&b, W_TIMER_START, index_of(host), 0, delay, 0);
    uint64_t id = new_request_id();
    remember(id, 1, (void *)cb, ud);
    frame_t *r = call_host_id(&b, id);
    ah_status_t status = r->status;
    if (status == AH_OK) {
        set_host_id(id, r->arg);
        if (out) *out = r->arg;
    } else { free(take(id, 1)); copy_error(error, r); }
    free_frame(r);
    return status;
}

static void timer_cancel(const ah_host_t *host, uint64_t id) {
    buf_t b = {0};
    buf_header(&b, W_TIMER_CANCEL, index_of(host), id, 0, 0);
    send_frame(&b);
}

static const ah_host_timer_t timer_table = {sizeof(ah_host_timer_t), timer_start, timer_cancel};

/* ---- draft extensions (ext/draft/): always offered, as in-process; the host answers through
 * the instance's own tables, so its checks are the in-process ones ---- */

static ah_status_t draft_call(buf_t *b, ah_error_t *error, ah_kv_reader_t reader, void *ud) {
    frame_t *r = call_host(b);
    ah_status_t status = r->status;
    if (status == AH_OK && reader) reader(ud, field(r, 0), field_len(r, 0));
    if (status != AH_OK && error && r->count) snprintf(error->message, sizeof error->message, "%s", field(r, 0));
    free_frame(r);
    return status;
}

static ah_status_t voice_expect(const ah_host_t *host, uint64_t step, const char *kind, uint32_t length, ah_error_t *error) {
    buf_t b = {0};
    buf_header(&b, W_VOICE_HINT, index_of(host), 0, step, (int32_t)(length > 0x7fffffffu ? 0x7fffffffu : length));
    buf_str(&b, kind);
    return draft_call(&b, error, NULL, NULL);
}

static const ah_host_voice_hint_t voice_hint_table = {sizeof(ah_host_voice_hint_t), voice_expect};

static ah_status_t catalog_subscribe(const ah_host_t *host, ah_error_t *error) {
    buf_t b = {0};
    buf_header(&b, W_CATALOG_SUBSCRIBE, index_of(host), 0, 0, 0);
    return draft_call(&b, error, NULL, NULL);
}

static ah_status_t catalog_fetch(const ah_host_t *host, const char *version, ah_catalog_reader_t reader, void *ud, ah_error_t *error) {
    if (!version || !reader) return AH_ERR_INVALID_ARGUMENT;
    buf_t b = {0};
    buf_header(&b, W_CATALOG_FETCH, index_of(host), 0, 0, 0);
    buf_str(&b, version);
    /* ah_catalog_reader_t and ah_kv_reader_t have the same signature. */
    return draft_call(&b, error, (ah_kv_reader_t)reader, ud);
}

static const ah_host_catalog_t catalog_table = {sizeof(ah_host_catalog_t), catalog_subscribe, catalog_fetch};

/* The dtmf draft is granted per tenant like a released extension (not offered to every instance):
 * the digits reach the host's table for this instance, whose checks (digits, the session's call)
 * are the in-process ones. */
static ah_status_t dtmf_send_digits(const ah_host_t *host, const char *session_id, const char *digits, size_t len) {
    if (!session_id || !digits) return AH_ERR_INVALID_ARGUMENT;
    if (len > 64) return AH_ERR_INVALID_ARGUMENT;   /* the host allows 32: no need to carry more */
    buf_t b = {0};
    buf_header(&b, W_DTMF_SEND, index_of(host), 0, 0, 0);
    buf_str(&b, session_id);
    buf_field(&b, digits, len);
    return draft_call(&b, NULL, NULL, NULL);
}

static const ah_host_dtmf_draft0_t dtmf_table = {sizeof(ah_host_dtmf_draft0_t), dtmf_send_digits};

static const void *host_get_extension(const ah_host_t *host, const char *id) {
    const instance_t *in = host->host_data;
    if (!id) return NULL;
    if (!strcmp(id, AH_EXT_VOICE_HINT_DRAFT)) return &voice_hint_table;
    if (!strcmp(id, AH_EXT_CATALOG_DRAFT)) return &catalog_table;
    if (in->granted_kv && !strcmp(id, AH_EXT_SESSION_KV)) return &kv_table;
    if (in->granted_metrics && !strcmp(id, AH_EXT_METRICS)) return &metrics_table;
    if (in->granted_http && !strcmp(id, AH_EXT_HTTP)) return &http_table;
    if (in->granted_timer && !strcmp(id, AH_EXT_TIMER)) return &timer_table;
    if (in->granted_dtmf && !strcmp(id, AH_EXT_DTMF_DRAFT)) return &dtmf_table;
    return NULL;
}

/* ---------- dispatch (main thread) ---------- */

static void reply_status(uint8_t type, uint32_t instance, uint64_t id, ah_status_t status, const char *message) {
    buf_t b = {0};
    buf_header(&b, type, instance, id, 0, status);
    buf_str(&b, message);
    send_frame(&b);
}

static void create(const frame_t *f) {
    instance_t *in = &instances[f->instance];
    ah_error_t error = {{0}};
    if (in->plugin) { reply_status(W_CREATED, f->instance, f->id, AH_ERR_INVALID_ARGUMENT, "instance slot in use"); return; }
    memset(in, 0, sizeof *in);
    in->index = f->instance;
    for (uint32_t i = 2; i < f->count; i++) {
        const char *id = f->field[i];
        in->granted_kv |= !strcmp(id, AH_EXT_SESSION_KV);
        in->granted_metrics |= !strcmp(id, AH_EXT_METRICS);
        in->granted_http |= !strcmp(id, AH_EXT_HTTP);
        in->granted_timer |= !strcmp(id, AH_EXT_TIMER);
        in->granted_dtmf |= !strcmp(id, AH_EXT_DTMF_DRAFT);
    }
    in->host = (ah_host_t){
        .struct_size = sizeof(ah_host_t), .abi_major = AH_ABI_VERSION_MAJOR, .abi_minor = AH_ABI_VERSION_MINOR,
        .host_name = "agent-host", .host_version = "plugin-runner", .tenant_id = tenant, .host_data = in,
        .log = host_log, .get_extension = host_get_extension, .tool_complete = host_tool_complete,
        .agent_say = agent_say, .agent_call_tool = agent_call_tool, .agent_handoff = agent_handoff,
        .agent_escalate = agent_escalate, .agent_end_session = agent_end_session,
        .agent_set_state = agent_set_state, .agent_step_done = agent_step_done};
    const ah_plugin_t *plugin = NULL;
    ah_status_t status = factory->create_plugin(factory, &in->host, field(f, 0), field(f, 1), field_len(f, 1), &plugin, &error);
    if (status != AH_OK || !plugin || !plugin->get_interface || !plugin->destroy) {
        reply_status(W_CREATED, f->instance, f->id, status == AH_OK ? AH_ERR_INTERNAL : status,
                     error.message[0] ? error.message : "create_plugin failed");
        return;
    }
    in->plugin = plugin;
    in->tool = plugin->get_interface(plugin, AH_TOOL_INTERFACE_ID);
    in->agent = plugin->get_interface(plugin, AH_AGENT_INTERFACE_ID);
    reply_status(W_CREATED, f->instance, f->id, AH_OK, "");
}

static void dispatch(const frame_t *f) {
    if (f->type == W_HTTP_RESPONSE) {
        pending_cb_t *c = take(f->id, 0);
        if (!c) return;
        ah_http_header_t headers[AH_WIRE_MAX_FIELDS / 2];
        uint32_t n = 0;
        for (uint32_t i = 2; i + 1 < f->count; i += 2) headers[n++] = (ah_http_header_t){f->field[i], f->field[i + 1]};
        ah_http_response_t response = {sizeof response, f->status, (int32_t)f->arg, headers, n,
                                       field(f, 0), field_len(f, 0), optional(f, 1)};
        ((ah_http_callback_t)c->fn)(c->ud, &response);
        free(c);
        return;
    }
    if (f->type == W_TIMER_FIRED) {
        pending_cb_t *c = take(f->id, 1);
        if (c) ((ah_timer_callback_t)c->fn)(c->ud, c->host_id, f->status);
        free(c);
        return;
    }
    if (f->instance >= MAX_INSTANCES) _exit(65);
    if (f->type == W_CREATE) { create(f); return; }
    instance_t *in = &instances[f->instance];
    if (!in->plugin) return;           /* destroyed or never created: the host already said why */
    ah_error_t error = {{0}};
    switch (f->type) {
    case W_INVOKE: {
        ah_tool_call_t call = {sizeof call, f->id, field(f, 0), field(f, 1), field(f, 2), field_len(f, 2)};
        current_call = f->id;
        ah_status_t status = in->tool ? in->tool->invoke(in->plugin, &call, &error) : AH_ERR_UNSUPPORTED;
        current_call = 0;
        if (status != AH_OK) reply_status(W_REFUSED, f->instance, f->id, status, error.message);
        break;
    }
    case W_TOOL_CANCEL: if (in->tool) in->tool->cancel(in->plugin, f->id); break;
    case W_STEP: {
        ah_agent_step_t step = {sizeof step, f->id, field(f, 0), field(f, 1), field_len(f, 1), field(f, 2), field_len(f, 2)};
        ah_status_t status = in->agent ? in->agent->step(in->plugin, &step, &error) : AH_ERR_UNSUPPORTED;
        if (status != AH_OK) reply_status(W_STEP_REFUSED, f->instance, f->id, status, error.message);
        break;
    }
    case W_TOOL_RESULT:
        if (in->agent) in->agent->on_tool_result(in->plugin, f->id, f->arg, f->status, field(f, 0), field_len(f, 0));
        break;
    case W_STEP_CANCEL: if (in->agent) in->agent->cancel(in->plugin, f->id); break;
    case W_DESTROY: in->plugin->destroy(in->plugin); in->plugin = NULL; break;
    default: _exit(65);                /* a type the host never sends */
    }
}

/* ---------- --describe: the descriptors as JSON, for a host that must not load the plugin ---------- */

static void json_string(const char *s) {
    if (!s) { fputs("null", stdout); return; }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

static void json_list(const char *const *list) {
    putchar('[');
    for (int i = 0; list && list[i] && i < 4096; i++) { if (i) putchar(','); json_string(list[i]); }
    putchar(']');
}

static void describe(const ah_plugin_factory_t *f) {
    uint32_t count = f->get_plugin_count ? f->get_plugin_count(f) : 0;
    printf("{\"abi_major\":%u,\"abi_minor\":%u,\"toolchain\":", entry->abi_major, entry->abi_minor);
    json_string(entry->toolchain);
    fputs(",\"components\":[", stdout);
    int first = 1;
    for (uint32_t i = 0; i < count && i < 1024; i++) {
        const ah_plugin_descriptor_t *d = f->get_plugin_descriptor(f, i);
        if (!d || d->struct_size < sizeof *d) continue;
        if (!first) putchar(',');
        first = 0;
        printf("{\"kind\":%u,\"id\":", d->kind);
        json_string(d->id);
        fputs(",\"display_name\":", stdout); json_string(d->display_name);
        fputs(",\"version\":", stdout); json_string(d->version);
        fputs(",\"description\":", stdout); json_string(d->description);
        fputs(",\"required_extensions\":", stdout); json_list(d->required_extensions);
        if (d->agent && d->agent->struct_size >= sizeof *d->agent) {
            fputs(",\"agent\":{\"handoff_description\":", stdout); json_string(d->agent->handoff_description);
            fputs(",\"examples\":", stdout); json_list(d->agent->example_utterances);
            fputs(",\"instructions\":", stdout); json_string(d->agent->instructions);
            fputs(",\"tool_names\":", stdout); json_list(d->agent->tool_names);
            putchar('}');
        }
        if (d->tool && d->tool->struct_size >= sizeof *d->tool) {
            fputs(",\"tool\":{\"name\":", stdout); json_string(d->tool->name);
            fputs(",\"parameters_schema\":", stdout); json_string(d->tool->parameters_schema);
            putchar('}');
        }
        putchar('}');
    }
    puts("]}");
}

/* ---------- confinement: a seccomp filter ---------- */

/* System calls a plugin has no business making, denied with EPERM (the call fails and the plugin
 * can say so; the runner lives). Default-allow otherwise: plugins legitimately open files and
 * sockets, map memory, start threads and so on. docs/abi.md ("What a runner may not do") is the
 * reference for this list and why each entry is on it. */
static const char *const denied_calls[] = {
    /* running another program: a plugin is code in this process, never a launcher */
    "execve", "execveat",
    /* reading or writing other processes (same uid: the host, other tenants' runners) */
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    /* new namespaces: the way to regain privileges (user namespaces) or escape confinement */
    "unshare", "setns",
    /* the machine's state: filesystems, kernel, modules, clock, identity, power */
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "swapon", "swapoff", "reboot", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "acct",
    "quotactl", "iopl", "ioperm", "syslog",
    /* kernel attack surface no plugin needs */
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "open_by_handle_at", "name_to_handle_at", "fanotify_init", "lookup_dcookie",
    NULL,
};

/* Namespace flags refused in clone(2); clone3 passes its flags in memory a filter cannot read, so
 * it answers ENOSYS and glibc falls back to clone, where they are checked. */
static const unsigned long clone_namespace_flags[] = {
    CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, 0,
};

/* Installs the filter for this process and every thread it starts; a description of what went
 * wrong, or NULL. */
static const char *confine(void) {
    static char why[160];
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return "seccomp_init failed";
    int rc = 0;
    for (int i = 0; denied_calls[i] && rc == 0; i++) {
        int nr = seccomp_syscall_resolve_name(denied_calls[i]);
        if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    for (int i = 0; clone_namespace_flags[i] && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, clone_namespace_flags[i], clone_namespace_flags[i]));
    int clone3 = seccomp_syscall_resolve_name("clone3");
    if (rc == 0 && clone3 != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0);
    if (rc == 0) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc == 0) return NULL;
    snprintf(why, sizeof why, "cannot install the seccomp filter: %s", strerror(-rc));
    return why;
}

/* ---------- start ---------- */

static int describing;

static void hello(ah_status_t status, const char *message) {
    if (describing) {
        if (status != AH_OK) { fprintf(stderr, "%s\n", message); exit(78); }
        return;
    }
    reply_status(W_HELLO, 0, 0, status, message);
    if (status != AH_OK) _exit(78);
}

int main(int argc, char **argv) {
    char message[512];
    signal(SIGPIPE, SIG_IGN);
    describing = argc == 3 && !strcmp(argv[1], "--describe");
    if (argc != 4 && argc != 5 && !describing) {
        fprintf(stderr, "usage: %s <plugin.so> <tenant_id> <max_memory_mb> [spin_us]   (started by agent-host, socket on fd 3)\n"
                        "       %s --describe <plugin.so>                      (its descriptors as JSON)\n", argv[0], argv[0]);
        return 64;
    }
    if (describing) { argv[1] = argv[2]; argv[2] = "describe"; argv[3] = "512"; }
    /* Least privilege before any plugin code runs: no privilege gain through exec, no inherited
     * descriptors beyond stdio and the socket, and an address-space cap. */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
#ifdef SYS_close_range
    syscall(SYS_close_range, 4u, ~0u, 0u);
#endif
    if (argc == 5) {
        unsigned long spin_us = strtoul(argv[4], NULL, 10);
        spin_ns = (long long)(spin_us > 1000 ? 1000 : spin_us) * 1000;
    }
    unsigned long mb = strtoul(argv[3], NULL, 10);
    if (mb > 0) {
        struct rlimit limit = {(rlim_t)mb << 20, (rlim_t)mb << 20};
        setrlimit(RLIMIT_AS, &limit);
    }
    snprintf(tenant, sizeof tenant, "%s", argv[2]);
    /* Before the plugin is mapped (its constructors run at dlopen). Fail closed: a runner that
     * cannot confine its plugin does not run it. */
    const char *unconfined = confine();
    if (unconfined) hello(AH_ERR_FAILED, unconfined);

    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle) { snprintf(message, sizeof message, "cannot be loaded: %s", dlerror()); hello(AH_ERR_FAILED, message); }
    ah_plugin_entry_fn fn = (ah_plugin_entry_fn)dlsym(handle, "agent_host_plugin_entry");
    entry = fn ? fn() : NULL;
    if (!entry || entry->struct_size < sizeof(ah_plugin_entry_t) || entry->abi_major != AH_ABI_VERSION_MAJOR || !entry->init || !entry->get_factory)
        hello(AH_ERR_FAILED, "no usable agent_host_plugin_entry (missing, wrong ABI major, or incomplete)");
    ah_error_t error = {{0}};
    ah_status_t status = entry->init(argv[1], &error);
    if (status != AH_OK) { snprintf(message, sizeof message, "init failed (status %d): %s", status, error.message); hello(status, message); }
    factory = entry->get_factory(AH_PLUGIN_FACTORY_ID);
    if (!factory || !factory->create_plugin) hello(AH_ERR_FAILED, "provides no " AH_PLUGIN_FACTORY_ID);
    hello(AH_OK, AH_WIRE_VERSION);
    if (describing) {
        describe(factory);
        if (entry->shutdown) entry->shutdown();
        return fflush(stdout) == 0 ? 0 : 74;
    }

    /* The main thread reads the host's frames itself and dispatches them, one at a time, in order:
     * a call costs no hand-off between threads. A plugin thread waiting for a reply while the
     * main thread is inside the plugin reads for itself (call_host_id). */
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!head) {
            if (!reading) { reading = 1; read_some(); }
            else pthread_cond_wait(&changed, &lock);
        }
        frame_t *f = head;
        head = f->next;
        if (!head) tail = NULL;
        int more = head != NULL;
        pthread_mutex_unlock(&lock);
        deferring = more;              /* answers to a batch leave together, after its last frame */
        dispatch(f);
        free_frame(f);
        if (!more) flush_out();
    }
}
