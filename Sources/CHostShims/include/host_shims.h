#ifndef HOST_SHIMS_H
#define HOST_SHIMS_H
/* Typed wrappers for C APIs Swift cannot call directly (variadic functions, function-like macros).
 * Each function says which API it wraps and why it exists. */
#include <curl/curl.h>
#endif
