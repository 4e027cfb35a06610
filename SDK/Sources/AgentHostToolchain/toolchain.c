#include "agent_host_toolchain.h"

#ifndef __clang_version__
#  error "AgentHostToolchain must be compiled by the Swift toolchain's clang"
#endif

/* Static storage: the pointer is handed to the host in the plugin entry and must outlive it. */
static const char toolchain_id[] = "swift (clang " __clang_version__ ")";

const char *agent_host_swift_toolchain_id(void) { return toolchain_id; }
