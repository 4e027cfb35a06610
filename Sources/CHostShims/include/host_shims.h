#ifndef HOST_SHIMS_H
#define HOST_SHIMS_H
/* Typed wrappers for C APIs Swift cannot call directly (variadic functions, function-like macros).
 * Each function says which API it wraps and why it exists. */
#include <curl/curl.h>
#include <sys/socket.h>

/* libuv's loop, declared only: including <uv.h> here would make this module a second owner of
 * libuv's declarations beside CLibUV (Swift then finds neither). Swift matches it with CLibUV's complete type. */
struct uv_loop_s;

/* The signature curl uses for CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION and CURLOPT_READFUNCTION. */
typedef size_t (*host_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

/* curl_global_init(CURL_GLOBAL_DEFAULT): the flag is a macro built from other macros. */
CURLcode host_curl_global_init_default(void);

/* curl_easy_setopt is variadic; these pin the third argument's type (long, pointer, data callback, curl_off_t). */
CURLcode host_curl_easy_setopt_long(CURL *easy, CURLoption option, long value);
CURLcode host_curl_easy_setopt_pointer(CURL *easy, CURLoption option, void *value);
CURLcode host_curl_easy_setopt_data_callback(CURL *easy, CURLoption option, host_curl_data_callback callback);
CURLcode host_curl_easy_setopt_off_t(CURL *easy, CURLoption option, curl_off_t value);

/* curl_multi_setopt is variadic; these pin its argument type (long, pointer, socket and timer callbacks). */
CURLMcode host_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
CURLMcode host_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value);
CURLMcode host_curl_multi_setopt_socket_callback(CURLM *multi, curl_socket_callback callback);
CURLMcode host_curl_multi_setopt_timer_callback(CURLM *multi, curl_multi_timer_callback callback);

/* curl_easy_getinfo is variadic; these pin the out-parameter's type (long, string, pointer). */
CURLcode host_curl_easy_getinfo_long(CURL *easy, CURLINFO info, long *value);
CURLcode host_curl_easy_getinfo_string(CURL *easy, CURLINFO info, const char **value);
CURLcode host_curl_easy_getinfo_pointer(CURL *easy, CURLINFO info, void **value);

/* accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC): a GNU extension Swift's Glibc module does
 * not export. The HTTP server accepts its own connections (it must see EMFILE to pause accepting; libuv's
 * accept hides it), and the flags must be atomic with the accept: a plain accept + fcntl leaves a window
 * in which a child process forked by another thread inherits the socket. Returns the fd, or -1 and errno. */
int host_accept4_nonblocking(int fd, struct sockaddr *address, socklen_t *length);

/* The calling thread's kernel id (TID, as in /proc/PID/task/TID and `top -H`). */
int host_thread_id(void);

/* pthread_setname_np / pthread_getname_np for the calling thread: declared only with _GNU_SOURCE,
 * which Swift's Glibc module does not set. Names longer than 15 bytes are refused (ERANGE): callers cut. */
int host_set_thread_name(const char *name);
int host_get_thread_name(char *buffer, size_t size);

/* uv_loop_configure(loop, UV_METRICS_IDLE_TIME) is variadic. The loop-stall watchdog needs libuv's
 * count of time spent waiting in epoll to tell waiting from running callbacks. Returns libuv's status. */
int host_uv_loop_enable_idle_time(struct uv_loop_s *loop);

#endif
