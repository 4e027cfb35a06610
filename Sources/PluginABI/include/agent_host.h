/*
 * agent-host plugin ABI 1.0 — everything a plugin author includes.
 * Documentation: docs/abi.md. Writing a plugin: docs/writing-plugins.md.
 */
#ifndef AGENT_HOST_H
#define AGENT_HOST_H

#include "agent_host/version.h"
#include "agent_host/common.h"
#include "agent_host/status.h"
#include "agent_host/descriptor.h"
#include "agent_host/plugin.h"
#include "agent_host/host.h"
#include "agent_host/factory.h"
#include "agent_host/entry.h"
#include "agent_host/agent.h"
#include "agent_host/tool.h"
#include "agent_host/ext/http.h"
#include "agent_host/ext/timer.h"
#include "agent_host/ext/session_kv.h"
#include "agent_host/ext/metrics.h"
#include "agent_host/ext/draft/dtmf.h"

#endif
