/*
 * Store Hours — a TOOL plugin in plain C11 (see include/store_hours.h for the contract).
 *
 * Only libc and the ABI headers are used, and only `agent_host_plugin_entry` is exported:
 * everything else is static, so the plugin cannot clash with the host or other plugins.
 */
#include "agent_host.h"
#include "store_hours.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#  define SH_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#  define SH_PRINTF(fmt, args)
#endif

/* ---- the calendar -------------------------------------------------------------------------- */

typedef struct { int year, month, day; } sh_date_t;

/* Regular weekly hours, indexed by weekday (0 = Sunday); NULL opens = closed all day. */
static const struct { const char *opens, *closes, *note; } weekly[7] = {
    { NULL, NULL, "Closed on Sundays" },  { "09:00", "18:00", "Regular hours" },
    { "09:00", "18:00", "Regular hours" }, { "09:00", "18:00", "Regular hours" },
    { "09:00", "18:00", "Regular hours" }, { "09:00", "18:00", "Regular hours" },
    { "10:00", "16:00", "Saturday hours" },
};

/* Exceptions to the weekly hours; `closes` NULL = closed all day, otherwise an early close. */
static const struct { sh_date_t date; const char *closes, *note; } holidays[] = {
    { { 2026,  1,  1 }, NULL,    "New Year's Day: closed" },
    { { 2026,  4,  3 }, NULL,    "Good Friday: closed" },
    { { 2026,  4,  6 }, NULL,    "Easter Monday: closed" },
    { { 2026, 12, 24 }, "14:00", "Christmas Eve: closes early at 14:00" },
    { { 2026, 12, 25 }, NULL,    "Christmas Day: closed" },
    { { 2026, 12, 26 }, NULL,    "St. Stephen's Day: closed" },
    { { 2026, 12, 31 }, "16:00", "New Year's Eve: closes early at 16:00" },
    { { 2027,  1,  1 }, NULL,    "New Year's Day: closed" },
};

static const char *const weekday_names[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                               "Thursday", "Friday", "Saturday" };

/* Days in a month (Gregorian leap years), so only real days like 2028-02-29 are accepted. */
static int days_in_month(int y, int m) {
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : days[m - 1];
}

/* Sakamoto's algorithm: weekday (0 = Sunday) of a Gregorian date, no table of years needed. */
static int weekday_of(sh_date_t d) {
    static const int t[12] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
    int y = d.month < 3 ? d.year - 1 : d.year;
    return (y + y / 4 - y / 100 + y / 400 + t[d.month - 1] + d.day) % 7;
}

/* Today's UTC date from the epoch (Hinnant's civil_from_days): avoids gmtime, which is not
 * thread-safe and whose gmtime_r is POSIX rather than C11. */
static int today_utc(sh_date_t *out) {
    time_t now = time(NULL);
    if (now == (time_t)-1) return 0;
    long long z = (long long)now / 86400 - ((long long)now % 86400 < 0) + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    out->year = (int)((long long)yoe + era * 400 + (out->month <= 2));
    return 1;
}

/* ---- arguments ----------------------------------------------------------------------------- */

/* Fills the caller's ah_error_t (if any) with one formatted line, truncated to fit, and returns
 * `status`, so every failure path is a single `return fail(...)`. */
SH_PRINTF(3, 4)
static ah_status_t fail(ah_error_t *error, ah_status_t status, const char *fmt, ...) {
    if (error == NULL) return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error->message, sizeof error->message, fmt, ap);
    va_end(ap);
    return status;
}

/* Length of at most `max` bytes of `s` that does not cut a UTF-8 sequence in half, so that
 * echoing caller input into an error message keeps the message valid UTF-8. */
static int quote_len(const char *s, size_t len, size_t max) {
    if (len <= max) return (int)len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return (int)max;
}

typedef struct { const char *p, *end; } sh_scanner_t;

/* JSON whitespace is exactly space, tab, CR and LF. */
static void skip_ws(sh_scanner_t *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
        s->p++;
}

/* Scans a JSON string at s->p (which must be '"'); yields its raw, still-escaped contents.
 * Escapes are stepped over, not decoded: neither the key nor a valid date needs them. */
static int scan_string(sh_scanner_t *s, const char **start, size_t *len) {
    if (s->p >= s->end || *s->p != '"') return 0;
    *start = ++s->p;
    while (s->p < s->end && *s->p != '"') {
        if ((unsigned char)*s->p < 0x20) return 0;          /* raw control chars are invalid */
        if (*s->p == '\\' && ++s->p >= s->end) return 0;
        s->p++;
    }
    if (s->p >= s->end) return 0;                           /* unterminated */
    *len = (size_t)(s->p++ - *start);
    return 1;
}

/* Parses strict YYYY-MM-DD: 1 = a real Gregorian day, 0 = malformed, -1 = no such day. */
static int parse_date(const char *s, size_t len, sh_date_t *out) {
    if (len != 10 || s[4] != '-' || s[7] != '-') return 0;
    int v[3] = { 0, 0, 0 }, field = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == 4 || i == 7) { field++; continue; }
        if (s[i] < '0' || s[i] > '9') return 0;
        v[field] = v[field] * 10 + (s[i] - '0');
    }
    if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > days_in_month(v[0], v[1]))
        return -1;
    out->year = v[0]; out->month = v[1]; out->day = v[2];
    return 1;
}

/* Reads the tool's arguments object: {"date": "YYYY-MM-DD" | null} or {}. A missing or null
 * date means today (UTC). Anything the schema does not allow is refused with a message the
 * model can act on, because additionalProperties is false and guessing would hide mistakes. */
static ah_status_t parse_arguments(const char *json, size_t len, sh_date_t *date,
                                   ah_error_t *error) {
    sh_scanner_t s = { json, json != NULL ? json + len : NULL };
    int have_date = 0;
    skip_ws(&s);
    if (s.p >= s.end || *s.p++ != '{')
        return fail(error, AH_ERR_INVALID_ARGUMENT,
                    "arguments must be a JSON object like {\"date\":\"2026-12-24\"}");
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}') s.p++;
    else for (;;) {
        const char *key, *value;
        size_t key_len, value_len;
        if (!scan_string(&s, &key, &key_len)) goto malformed;
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ':') goto malformed;
        skip_ws(&s);
        if (key_len != 4 || memcmp(key, "date", 4) != 0)
            return fail(error, AH_ERR_INVALID_ARGUMENT, "unknown argument '%.*s'; the only "
                        "argument is 'date' (YYYY-MM-DD)", quote_len(key, key_len, 40), key);
        if ((size_t)(s.end - s.p) >= 4 && memcmp(s.p, "null", 4) == 0) {
            s.p += 4, have_date = 0;
        } else if (s.p < s.end && *s.p == '"') {
            if (!scan_string(&s, &value, &value_len)) goto malformed;
            int ok = parse_date(value, value_len, date);
            if (ok != 1)
                return fail(error, AH_ERR_INVALID_ARGUMENT, ok == 0
                            ? "date must be YYYY-MM-DD, got '%.*s'"
                            : "date must be a real calendar day (YYYY-MM-DD), got '%.*s'",
                            quote_len(value, value_len, 40), value);
            have_date = 1;
        } else {
            return fail(error, AH_ERR_INVALID_ARGUMENT,
                        "date must be a string YYYY-MM-DD (or omitted for today)");
        }
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') { s.p++; skip_ws(&s); continue; }
        if (s.p < s.end && *s.p == '}') { s.p++; break; }
        goto malformed;
    }
    skip_ws(&s);
    if (s.p != s.end) goto malformed;
    if (!have_date && !today_utc(date))
        return fail(error, AH_ERR_UNAVAILABLE, "the system clock is unavailable; pass a date");
    return AH_OK;
malformed:
    return fail(error, AH_ERR_INVALID_ARGUMENT,
                "arguments are not a valid JSON object (expected {\"date\":\"YYYY-MM-DD\"})");
}

/* ---- the plugin instance and its tool ------------------------------------------------------ */

/* One per create_plugin: the host table is per tenant, so each instance keeps its own. */
typedef struct { ah_plugin_t plugin; const ah_host_t *host; } sh_instance_t;

/* Looks the day up and completes the call synchronously: the work is a table lookup, so there
 * is nothing to wait for and nothing to cancel. */
static ah_status_t tool_invoke(const ah_plugin_t *plugin, const ah_tool_call_t *call,
                               ah_error_t *error) {
    if (plugin == NULL || call == NULL)
        return fail(error, AH_ERR_INVALID_ARGUMENT, "store_hours: invoke needs a call");
    const sh_instance_t *self = plugin->plugin_data;
    sh_date_t d = {0, 0, 0};  /* set by the parser or from today; initialised for -O2 flow analysis */
    ah_status_t status = parse_arguments(call->arguments_json, call->arguments_len, &d, error);
    if (status != AH_OK) return status;

    int wd = weekday_of(d);
    const char *opens = weekly[wd].opens, *closes = weekly[wd].closes, *note = weekly[wd].note;
    for (size_t i = 0; i < sizeof holidays / sizeof holidays[0]; i++) {
        const sh_date_t h = holidays[i].date;
        if (h.year == d.year && h.month == d.month && h.day == d.day) {
            if (holidays[i].closes == NULL || opens == NULL) opens = closes = NULL;
            else closes = holidays[i].closes;
            note = holidays[i].note;
            break;
        }
    }
    char opens_json[16] = "null", closes_json[16] = "null", output[320];
    if (opens != NULL) snprintf(opens_json, sizeof opens_json, "\"%s\"", opens);
    if (closes != NULL) snprintf(closes_json, sizeof closes_json, "\"%s\"", closes);
    int n = snprintf(output, sizeof output,
                     "{\"date\":\"%04d-%02d-%02d\",\"weekday\":\"%s\",\"open\":%s,"
                     "\"opens\":%s,\"closes\":%s,\"note\":\"%s\"}",
                     d.year, d.month, d.day, weekday_names[wd], opens != NULL ? "true" : "false",
                     opens_json, closes_json, note);
    if (n < 0 || (size_t)n >= sizeof output)
        return fail(error, AH_ERR_INTERNAL, "store_hours: answer did not fit (store_hours.c)");
    self->host->tool_complete(self->host, call->call_id, AH_OK, output, (size_t)n);
    return AH_OK;
}

/* Nothing to stop: every call has completed before invoke returned, and the ABI says unknown or
 * finished ids are ignored. */
static void tool_cancel(const ah_plugin_t *plugin, uint64_t id) { (void)plugin; (void)id; }

static const ah_tool_t tool_interface = { sizeof(ah_tool_t), tool_invoke, tool_cancel };

/* Frees what create_plugin allocated; the host guarantees no call of this instance is running. */
static void plugin_destroy(const ah_plugin_t *plugin) { if (plugin) free(plugin->plugin_data); }

/* A tool plugin offers exactly the tool interface; NULL tells the host anything else is absent. */
static const void *plugin_get_interface(const ah_plugin_t *plugin, const char *interface_id) {
    (void)plugin;
    return interface_id && !strcmp(interface_id, AH_TOOL_INTERFACE_ID) ? &tool_interface : NULL;
}

/* ---- descriptor, factory, entry ------------------------------------------------------------ */

static const ah_tool_profile_t tool_profile = {
    sizeof(ah_tool_profile_t), STORE_HOURS_TOOL_NAME,
    "{\"type\":\"object\",\"properties\":{\"date\":{\"type\":\"string\","
    "\"description\":\"Day to check, YYYY-MM-DD; today when omitted\"}},"
    "\"required\":[],\"additionalProperties\":false}",
};

static const ah_plugin_descriptor_t descriptor = {
    .struct_size = sizeof(ah_plugin_descriptor_t), .kind = AH_PLUGIN_KIND_TOOL,
    .id = STORE_HOURS_PLUGIN_ID, .display_name = "Store Hours", .version = "1.0.0",
    .description = "Tells whether the store is open on a given day and its opening and closing "
                   "times, including holiday closures and early closings. Use it whenever a "
                   "caller asks when the store is open.",
    .required_extensions = NULL, .agent = NULL, .tool = &tool_profile,
};

/* One shared object, one plugin. */
static uint32_t factory_get_plugin_count(const ah_plugin_factory_t *f) { (void)f; return 1; }

/* Index 0 is the only descriptor; out of range is NULL as the ABI requires. */
static const ah_plugin_descriptor_t *factory_get_plugin_descriptor(
    const ah_plugin_factory_t *factory, uint32_t index) {
    (void)factory; return index == 0 ? &descriptor : NULL;
}

/* Validates the request and settings, then allocates an instance bound to this tenant's host. */
static ah_status_t factory_create_plugin(const ah_plugin_factory_t *factory, const ah_host_t *host,
                                         const char *plugin_id, const char *settings_json,
                                         size_t settings_len, const ah_plugin_t **out_plugin,
                                         ah_error_t *error) {
    (void)factory;
    if (out_plugin == NULL || host == NULL || plugin_id == NULL)
        return fail(error, AH_ERR_INVALID_ARGUMENT,
                    "store_hours: create_plugin needs a host, a plugin id and an out pointer");
    *out_plugin = NULL;
    if (strcmp(plugin_id, STORE_HOURS_PLUGIN_ID) != 0)
        return fail(error, AH_ERR_NOT_FOUND, "store_hours: unknown plugin id '%.100s'", plugin_id);
    const char *end = settings_json != NULL ? settings_json + settings_len : NULL;
    sh_scanner_t s = { settings_json, end };
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return fail(error, AH_ERR_INVALID_ARGUMENT,
                    "store_hours: settings must be a JSON object (use {} for the defaults)");
    if (!AH_STRUCT_HAS_FIELD(host, ah_host_t, tool_complete) || host->tool_complete == NULL)
        return fail(error, AH_ERR_INVALID_ARGUMENT, "store_hours: host table lacks tool_complete");
    sh_instance_t *self = calloc(1, sizeof *self);
    if (self == NULL) return fail(error, AH_ERR_FAILED, "store_hours: out of memory");
    self->host = host;
    self->plugin = (ah_plugin_t){ sizeof(ah_plugin_t), &descriptor, self,
                                  plugin_destroy, plugin_get_interface };
    *out_plugin = &self->plugin;
    return AH_OK;
}

static const ah_plugin_factory_t factory = {
    sizeof(ah_plugin_factory_t), factory_get_plugin_count,
    factory_get_plugin_descriptor, factory_create_plugin,
};

/* No global state to set up: the tables are static constants. */
static ah_status_t plugin_init(const char *plugin_path, ah_error_t *error) {
    (void)plugin_path, (void)error; return AH_OK;
}

/* Nothing to release: instances were destroyed before shutdown and nothing else was allocated. */
static void plugin_shutdown(void) {}

/* Hands out the plugin factory, the only factory this plugin has. */
static const void *plugin_get_factory(const char *factory_id) {
    return factory_id && !strcmp(factory_id, AH_PLUGIN_FACTORY_ID) ? &factory : NULL;
}

/* The one exported symbol: returns static storage and does no work, as entry.h requires. */
AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void);
AH_EXPORT const ah_plugin_entry_t *agent_host_plugin_entry(void) {
    static const ah_plugin_entry_t entry = {
        sizeof(ah_plugin_entry_t), AH_ABI_VERSION_MAJOR, AH_ABI_VERSION_MINOR, AH_TOOLCHAIN_NONE,
        plugin_init, plugin_shutdown, plugin_get_factory,
    };
    return &entry;
}
