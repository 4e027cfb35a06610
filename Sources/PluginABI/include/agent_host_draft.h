/*
 * agent-host plugin ABI 1.0 plus the draft extensions (ext/draft/). Include this instead of
 * agent_host.h to use a draft; drafts carry ".draft/N" in their id and may change until they are
 * promoted (docs/abi.md, "Draft extensions"). agent_host.h itself stays exactly as released.
 */
#ifndef AGENT_HOST_DRAFT_H
#define AGENT_HOST_DRAFT_H

#include "agent_host.h"
#include "agent_host/ext/draft/voice_hint.h"
#include "agent_host/ext/draft/catalog.h"
#include "agent_host/ext/draft/dtmf.h"

#endif
