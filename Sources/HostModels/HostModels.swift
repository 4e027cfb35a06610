// HostModels: clients for OpenAI-compatible wire formats — Chat Completions with SSE streaming
// (ChatCompletions/), the Realtime API over the host's own WebSocket client (Realtime/), and the
// audio transcription/speech endpoints as speech capabilities (Speech/). docs/models.md.
