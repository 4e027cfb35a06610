import Foundation

/// Deterministic synthetic test audio: silence, noise, speech-like bursts, clicks, tones.
/// Levels are RMS in dBFS where a full-scale square wave is 0 dBFS (the VAD's convention).
struct SyntheticAudio {
    let sampleRate: Int
    private var state: UInt64

    init(sampleRate: Int = 16_000, seed: UInt64 = 42) {
        self.sampleRate = sampleRate
        state = seed
    }

    func count(_ ms: Int) -> Int { ms * sampleRate / 1000 }

    static func amplitude(_ dBFS: Double) -> Double { 32_768 * pow(10, dBFS / 20) }

    /// SplitMix64: reproducible across runs and platforms.
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * 2 - 1
    }

    /// Approximately Gaussian (sum of four uniforms), unit variance.
    mutating func gaussian() -> Double {
        (uniform() + uniform() + uniform() + uniform()) * sqrt(3.0) / 2
    }

    func silence(_ ms: Int) -> [Int16] { [Int16](repeating: 0, count: count(ms)) }

    /// White noise at `dBFS`; `lowPass` (0..<1) turns it into rumble-like noise that crosses zero rarely.
    mutating func noise(_ ms: Int, dBFS: Double, lowPass: Double = 0) -> [Int16] {
        var filtered = 0.0
        var raw: [Double] = []
        for _ in 0..<count(ms) {
            filtered = lowPass * filtered + (1 - lowPass) * gaussian()
            raw.append(filtered)
        }
        return Self.quantise(raw, rms: Self.amplitude(dBFS))
    }

    /// Speech-like burst: harmonics of a wandering 150-300 Hz fundamental shaped by three formants,
    /// plus resonant "aspiration" noise, amplitude-modulated at a syllable rate (4 Hz, with ~20 dB dips
    /// between syllables like consonant closures).
    mutating func speech(_ ms: Int, f0: Double = 180, dBFS: Double = -26) -> [Int16] {
        let fs = Double(sampleRate)
        let formants: [(f: Double, bandwidth: Double)] = [(600, 90), (1_400, 120), (2_500, 180)]
        var phases = [Double](repeating: 0, count: 40)
        var resonator = (y1: 0.0, y2: 0.0)
        let r = 0.97, theta = 2 * Double.pi * 2_500 / fs
        var raw: [Double] = []
        for n in 0..<count(ms) {
            let t = Double(n) / fs
            let pitch = min(300, max(150, f0 * (1 + 0.08 * sin(2 * .pi * 2.3 * t) + 0.01 * uniform())))
            var voiced = 0.0
            for k in 1...phases.count where Double(k) * pitch < min(3_800, fs / 2 - 200) {
                phases[k - 1] += 2 * .pi * Double(k) * pitch / fs
                let h = Double(k) * pitch
                let weight = formants.reduce(0.0) { $0 + 1 / (1 + pow((h - $1.f) / $1.bandwidth, 2)) } + 0.02
                voiced += weight * sin(phases[k - 1])
            }
            let y = gaussian() + 2 * r * cos(theta) * resonator.y1 - r * r * resonator.y2
            resonator = (y, resonator.y1)
            let syllable = sin(.pi * 4.0 * t + 0.3)
            let envelope = 0.05 + 0.95 * syllable * syllable
            raw.append(envelope * (voiced + 0.03 * y))
        }
        return Self.quantise(raw, rms: Self.amplitude(dBFS))
    }

    /// A sine at `frequency` Hz with peak `amplitude`.
    func sine(_ frequency: Double, ms: Int, amplitude: Double = 10_000) -> [Int16] {
        (0..<count(ms)).map { Int16(amplitude * sin(2 * .pi * frequency * Double($0) / Double(sampleRate))) }
    }

    /// A 10 ms (by default) near-full-scale spike ringing at 1 kHz: a connector pop or a tap on the mic.
    func click(_ ms: Int = 10) -> [Int16] {
        (0..<count(ms)).map {
            let t = Double($0) / Double(sampleRate)
            return Int16(30_000 * exp(-t / 0.004) * cos(2 * .pi * 1_000 * t))
        }
    }

    /// `overlay` added into `base` starting at `ms`, saturating.
    static func mix(_ base: [Int16], _ overlay: [Int16], at start: Int) -> [Int16] {
        var out = base
        for (i, s) in overlay.enumerated() where start + i < out.count {
            out[start + i] = Int16(clamping: Int(out[start + i]) + Int(s))
        }
        return out
    }

    static func offset(_ samples: [Int16], by dc: Int) -> [Int16] {
        samples.map { Int16(clamping: Int($0) + dc) }
    }

    private static func quantise(_ raw: [Double], rms target: Double) -> [Int16] {
        let rms = sqrt(raw.reduce(0) { $0 + $1 * $1 } / Double(max(raw.count, 1)))
        let gain = rms > 0 ? target / rms : 0
        return raw.map { Int16(clamping: Int(($0 * gain).rounded())) }
    }
}

/// Zero crossings of a signal (sign changes between neighbours).
func zeroCrossings(_ samples: ArraySlice<Int16>) -> Int {
    zip(samples, samples.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
}

/// Splits `samples` into frames of `size`, dropping a partial last frame.
func frames(_ samples: [Int16], size: Int = 320) -> [[Int16]] {
    stride(from: 0, to: samples.count - size + 1, by: size).map { Array(samples[$0..<$0 + size]) }
}

func levelDBFS(_ samples: ArraySlice<Int16>) -> Double {
    let mean = samples.reduce(0.0) { $0 + Double($1) } / Double(samples.count)
    let power = samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(samples.count)
    return 10 * log10(max(power, 1e-30) / (32_768.0 * 32_768.0))
}
