// The playground (docs/console.md): the browser as a caller on WS /ws/voice/{caller}.
// The tenant key lives only in this closure; the socket gets a one-use ticket instead
// (POST /console/v1/ticket, docs/protocol.md). Everything shown is set with textContent.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  // Read by the browser test (Tests/ServerTests/BrowserConsoleTests.swift) and handy in devtools.
  const state = window.playground = {
    status: 'idle', framesSent: 0, audioFramesReceived: 0, events: [], heard: [], agents: [], latenciesMs: [], flushes: 0,
  };
  let socket = null, context = null, micNode = null, playerNode = null, stream = null, muted = false;
  let turnMark = null, waitingForVoice = false, partialItem = null;

  function setStatus(text) { state.status = text; $('status').textContent = text; }

  function line(list, cls, label, text) {
    const item = document.createElement('li');
    item.className = cls;
    const tag = document.createElement('b');
    tag.textContent = label;
    item.append(tag, document.createTextNode(' ' + text));
    list.append(item);
    list.scrollTop = list.scrollHeight;
    return item;
  }

  function showEvent(event) {
    state.events.push(event);
    const detail = Object.keys(event).filter((k) => k !== 'type')
      .map((k) => k + '=' + (typeof event[k] === 'object' ? JSON.stringify(event[k]) : event[k])).join('  ');
    const item = line($('events'), 'event', event.type, detail);
    item.dataset.type = event.type;
    const transcript = $('transcript');
    switch (event.type) {
      case 'session': $('agent').textContent = event.agent; state.agents.push(event.agent); break;
      case 'user':
        if (event.final) {
          if (partialItem) { partialItem.remove(); partialItem = null; }
          line(transcript, 'user', 'caller', event.text).dataset.final = 'true';
          state.heard.push(event.text);
          $('heard').textContent = event.text;
          turnMark = performance.now(); waitingForVoice = true;
        } else {
          if (!partialItem) partialItem = line(transcript, 'user partial', 'caller…', '');
          partialItem.lastChild.textContent = ' ' + event.text;
        }
        break;
      case 'agent': line(transcript, 'agent', event.agent, event.text); break;
      case 'handoff':
        line(transcript, 'handoff', 'handoff', event.from + ' → ' + event.to + (event.reason ? ' (' + event.reason + ')' : ''));
        $('agent').textContent = event.to; state.agents.push(event.to);
        break;
      case 'tool_call': line(transcript, 'tool', 'tool', event.tool + ' ' + JSON.stringify(event.arguments)); break;
      case 'tool_result': line(transcript, 'tool', event.ok ? 'result' : 'failed', event.output); break;
      case 'escalated': line(transcript, 'handoff', 'escalated', event.department + ', position ' + event.position + ', about ' + event.wait_minutes + ' min'); break;
      case 'interrupted':
        // Barge-in: the host dropped the rest of the answer; drop what this page still queues too.
        if (playerNode) { playerNode.port.postMessage('flush'); state.flushes += 1; }
        break;
      case 'speech_stopped': turnMark = performance.now(); break;
      case 'error': line(transcript, 'error', 'error', event.code + ': ' + event.message); break;
      case 'end': setStatus('Call ended (' + event.reason + ').'); break;
    }
  }

  function audioArrived(buffer) {
    state.audioFramesReceived += 1;
    $('frames-received').textContent = String(state.audioFramesReceived);
    if (waitingForVoice && turnMark !== null) {
      const ms = Math.round(performance.now() - turnMark);
      state.latenciesMs.push(ms);
      $('latency').textContent = ms + ' ms (end of speech → first agent audio)';
      line($('transcript'), 'latency', 'latency', ms + ' ms to the first sound of the answer');
      waitingForVoice = false;
    }
    if (playerNode) playerNode.port.postMessage(buffer, [buffer]);
  }

  async function ticketFor(tenant, key) {
    const headers = { 'Content-Type': 'application/json' };
    if (key) headers.Authorization = 'Bearer ' + key;
    const reply = await fetch('/console/v1/ticket?tenant=' + encodeURIComponent(tenant), { method: 'POST', headers, body: '{}' });
    const body = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(body.error || ('ticket refused: HTTP ' + reply.status));
    return body.ticket;
  }

  async function startCall(event) {
    event.preventDefault();
    if (socket) return;
    const tenant = $('tenant').value.trim(), key = $('key').value, caller = $('caller').value.trim();
    try {
      setStatus('Asking for a ticket…');
      const ticket = await ticketFor(tenant, key);
      setStatus('Opening the microphone…');
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      context = new AudioContext();
      await context.audioWorklet.addModule('/console/assets/mic-worklet.js');
      await context.audioWorklet.addModule('/console/assets/player-worklet.js');
      playerNode = new AudioWorkletNode(context, 'pcm-player', { numberOfInputs: 0, outputChannelCount: [1] });
      playerNode.connect(context.destination);
      micNode = new AudioWorkletNode(context, 'mic-resampler', { numberOfOutputs: 1 });
      const silent = context.createGain();
      silent.gain.value = 0;   // the mic node must be pulled by the graph, but never heard
      micNode.connect(silent).connect(context.destination);
      await context.resume();
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const url = scheme + '//' + location.host + '/ws/voice/' + encodeURIComponent(caller)
        + '?tenant=' + encodeURIComponent(tenant) + '&ticket=' + encodeURIComponent(ticket);
      socket = new WebSocket(url);
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => {
        setStatus('Connected: speak, or type below.');
        state.status = 'connected';
        socket.send(JSON.stringify({ type: 'start', sample_rate: 16000, encoding: 'pcm16', greet: $('greet').checked }));
        context.createMediaStreamSource(stream).connect(micNode);
        micNode.port.onmessage = (message) => {
          if (socket && socket.readyState === WebSocket.OPEN) {
            socket.send(message.data);
            state.framesSent += 1;
            if (state.framesSent % 10 === 0) $('frames-sent').textContent = String(state.framesSent);
          }
        };
        enable(true);
      };
      socket.onmessage = (message) => {
        if (typeof message.data === 'string') {
          try { showEvent(JSON.parse(message.data)); } catch (_) { /* not JSON: ignore */ }
        } else {
          audioArrived(message.data);
        }
      };
      socket.onclose = (close) => {
        if (state.status === 'connected' || state.status.startsWith('Connected')) setStatus('Disconnected (' + close.code + (close.reason ? ' ' + close.reason : '') + ').');
        teardown();
      };
    } catch (error) {
      setStatus('Could not start the call: ' + error.message);
      teardown();
    }
  }

  function enable(live) {
    $('talk').disabled = live; $('hangup').disabled = !live; $('mute').disabled = !live;
    $('text').disabled = !live; $('send').disabled = !live;
  }

  function teardown() {
    enable(false);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    // Let the last words play before the context goes.
    const closing = context;
    if (closing) setTimeout(() => closing.close().catch(() => {}), 4000);
    socket = null; stream = null; micNode = null; context = null;
  }

  $('call-form').addEventListener('submit', startCall);
  $('hangup').addEventListener('click', () => { if (socket) socket.send(JSON.stringify({ type: 'end' })); });
  $('mute').addEventListener('click', () => {
    muted = !muted;
    if (micNode) micNode.port.postMessage({ muted });
    $('mute').textContent = muted ? 'Unmute' : 'Mute';
  });
  $('text-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('text').value.trim();
    if (!text || !socket) return;
    socket.send(JSON.stringify({ type: 'text', text }));
    $('text').value = '';
    turnMark = performance.now(); waitingForVoice = true;
  });
})();
