// The agent's voice in the playground (docs/console.md): PCM16 16 kHz chunks from the socket are
// queued and played back to back at the context's rate (linear interpolation), so consecutive
// frames join without gaps. After running dry it waits for 60 ms of audio before it starts again
// (a small jitter buffer); 'flush' drops what is queued (barge-in: the host said `interrupted`).
class PcmPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = 16000 / sampleRate;
    this.queue = [];
    this.queued = 0;
    this.current = null;
    this.index = 0;
    this.phase = 0;
    this.previous = 0;
    this.next = 0;
    this.primed = false;
    this.port.onmessage = (event) => {
      if (event.data === 'flush') {
        this.queue = []; this.queued = 0; this.current = null; this.index = 0; this.primed = false;
        return;
      }
      const pcm = new Int16Array(event.data);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
      this.queue.push(samples);
      this.queued += samples.length;
    };
  }

  take() {
    while (!this.current || this.index >= this.current.length) {
      if (this.queue.length === 0) return null;
      this.current = this.queue.shift();
      this.index = 0;
    }
    this.queued -= 1;
    return this.current[this.index++];
  }

  process(_inputs, outputs) {
    const output = outputs[0];
    const left = output[0];
    if (!this.primed && this.queued >= 960) this.primed = true;
    for (let i = 0; i < left.length; i++) {
      if (!this.primed) { left[i] = 0; continue; }
      this.phase += this.step;
      while (this.phase >= 1) {
        this.phase -= 1;
        const sample = this.take();
        if (sample === null) { this.primed = false; this.previous = 0; this.next = 0; break; }
        this.previous = this.next;
        this.next = sample;
      }
      left[i] = this.previous + (this.next - this.previous) * this.phase;
    }
    for (let c = 1; c < output.length; c++) output[c].set(left);
    return true;
  }
}
registerProcessor('pcm-player', PcmPlayer);
