/*
 * Compiles every ABI header once with the host's build, so the _Static_assert layout checks in
 * the headers run on every build (a C target also needs at least one source file).
 */
#include "agent_host.h"
