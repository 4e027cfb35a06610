#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
/* Plugin signatures (Sources/Host/Plugins/PluginSignature.swift): Ed25519 keys from PEM files. */
#include <openssl/pem.h>
/* TLS (Sources/HostNet/TLS): the SSL engine, memory BIOs, certificate verification, error strings. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
