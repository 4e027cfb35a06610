/*
 * Compiles every ABI header once with the host's build, so the _Static_assert layout checks in
 * the headers run on every build (a C target also needs at least one source file). The draft
 * umbrella includes agent_host.h and every ext/draft/ header.
 */
#include "agent_host_draft.h"
