#ifndef AGENT_HOST_TOOLCHAIN_H
#define AGENT_HOST_TOOLCHAIN_H
/*
 * The identity of the Swift toolchain compiling this file, for ah_plugin_entry_t.toolchain.
 * Swift has no stable runtime ABI on Linux, so a Swift plugin and the host must come from the
 * same toolchain. The toolchain's bundled clang names its exact llvm-project commit, which
 * changes with every Swift release: comparing it catches a mismatch before anything is called.
 */
const char *agent_host_swift_toolchain_id(void);
#endif
