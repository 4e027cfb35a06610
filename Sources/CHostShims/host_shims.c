/* accept4 is declared only with _GNU_SOURCE. */
#define _GNU_SOURCE
#include "host_shims.h"
#include <uv.h>
#include <pthread.h>
#include <unistd.h>

/* CURL_GLOBAL_DEFAULT is a composite macro, which Swift does not import. */
CURLcode host_curl_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Variadic curl_easy_setopt, with a long argument (flags, sizes, timeouts in ms). */
CURLcode host_curl_easy_setopt_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}

/* Variadic curl_easy_setopt, with a pointer argument (strings, slists, callback userdata, error buffer). */
CURLcode host_curl_easy_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return curl_easy_setopt(easy, option, value);
}

/* Variadic curl_easy_setopt, with a write/header/read callback (they share one signature). */
CURLcode host_curl_easy_setopt_data_callback(CURL *easy, CURLoption option, host_curl_data_callback callback) {
    return curl_easy_setopt(easy, option, callback);
}

/* Variadic curl_easy_setopt, with a curl_off_t argument (the *_LARGE size options). */
CURLcode host_curl_easy_setopt_off_t(CURL *easy, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(easy, option, value);
}

/* Variadic curl_multi_setopt, with a long argument (connection limits). */
CURLMcode host_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/* Variadic curl_multi_setopt, with a pointer argument (CURLMOPT_SOCKETDATA / CURLMOPT_TIMERDATA). */
CURLMcode host_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}

/* Variadic curl_multi_setopt for CURLMOPT_SOCKETFUNCTION (multi-socket integration with libuv). */
CURLMcode host_curl_multi_setopt_socket_callback(CURLM *multi, curl_socket_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback);
}

/* Variadic curl_multi_setopt for CURLMOPT_TIMERFUNCTION (multi-socket integration with libuv). */
CURLMcode host_curl_multi_setopt_timer_callback(CURLM *multi, curl_multi_timer_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback);
}

/* Variadic curl_easy_getinfo, for long results (response code, os errno). */
CURLcode host_curl_easy_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}

/* Variadic curl_easy_getinfo, for string results (effective URL, content type). */
CURLcode host_curl_easy_getinfo_string(CURL *easy, CURLINFO info, const char **value) {
    return curl_easy_getinfo(easy, info, value);
}

/* Variadic curl_easy_getinfo, for pointer results (CURLINFO_PRIVATE). */
CURLcode host_curl_easy_getinfo_pointer(CURL *easy, CURLINFO info, void **value) {
    return curl_easy_getinfo(easy, info, value);
}

/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (see the header). */
int host_accept4_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/* Variadic uv_loop_configure with the one option that takes no argument the watchdog needs. */
int host_uv_loop_enable_idle_time(struct uv_loop_s *loop) { return uv_loop_configure(loop, UV_METRICS_IDLE_TIME); }

/* gettid is declared only with _GNU_SOURCE (glibc 2.30+), and SYS_gettid is a macro of a macro,
   which Swift does not import: the TID names a loop's thread for operators and benchmarks. */
int host_thread_id(void) { return (int)gettid(); }

/* See the header: _GNU_SOURCE-only declarations. */
int host_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }
int host_get_thread_name(char *buffer, size_t size) { return pthread_getname_np(pthread_self(), buffer, size); }
