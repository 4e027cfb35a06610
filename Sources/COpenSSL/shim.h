#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
/* TLS (Sources/HostNet/TLS): the SSL engine, memory BIOs, certificate verification, error strings. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
