// The microphone's side of the playground (docs/console.md): runs on the audio thread, takes the
// context's samples (44.1/48 kHz float), low-passes and decimates them to 16 kHz by averaging each
// output period's input samples, and posts 20 ms PCM16 frames (320 samples) to the page.
class MicResampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.position = 0;
    this.sum = 0;
    this.count = 0;
    this.frame = new Int16Array(320);
    this.filled = 0;
    this.muted = false;
    this.port.onmessage = (event) => { if (event.data && 'muted' in event.data) this.muted = !!event.data.muted; };
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      this.sum += channel[i];
      this.count += 1;
      this.position += 1;
      if (this.position < this.ratio) continue;
      this.position -= this.ratio;
      const value = this.muted ? 0 : this.sum / this.count;
      this.sum = 0;
      this.count = 0;
      this.frame[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(value * 32767)));
      if (this.filled === this.frame.length) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(320);
        this.filled = 0;
      }
    }
    return true;
  }
}
registerProcessor('mic-resampler', MicResampler);
