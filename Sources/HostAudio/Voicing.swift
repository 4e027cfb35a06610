import Foundation

/// Whether audio is voiced — vocal folds vibrating, a pitch — and what that pitch does. Speech has
/// voiced stretches (every vowel, "m", "n", "l"); a breath, a cough, a click or line noise has
/// none: they are noise bursts, aperiodic. The recogniser cannot tell: given a breath it finds the
/// nearest words ("fee", "how for"). Used by the overlap judge (docs/voice.md, "Interruptions that
/// are meant") so that what has no voice is no request, and by the benchmark's trace to read the
/// pitch and energy contour before a pause (`contour`).
///
/// Per 20 ms hop, a 32 ms window of the signal decimated to 8 kHz (pairs averaged) is scored by its
/// normalised autocorrelation at lags of 2.5-12.5 ms (80-400 Hz, an adult's pitch): voiced when the
/// best lag correlates ≥ `minimumCorrelation` and the window is not near silence. ~16 k
/// multiply-adds a hop (81 lags; the energies are running sums): 1.5 s of audio (75 hops) measured
/// 5-6 ms of wall time with -O on this 2-core machine under load average 25-28, ~0.1 ms when the
/// scan may stop at the first voiced syllable (`voicedMilliseconds(_:atLeast:)`; docs/benchmarks.md).
/// Not for a loop thread per frame: callers run it on a speech queue.
/// Pure functions of the samples: no state, no allocation beyond one window and its sums.
public enum Voicing {
    /// A window's normalised autocorrelation at its best pitch lag at least this is voiced. White
    /// noise scores ~0.2 on these window sizes; sustained vowels 0.8-0.99.
    public static let minimumCorrelation = 0.6
    /// Windows quieter than this (RMS, PCM16 units: ~-50 dBFS) are silence, voiced or not.
    public static let minimumRMS = 100.0

    /// One 20 ms hop of 16 kHz audio: its level and, when voiced, its pitch.
    public struct Hop: Sendable, Equatable {
        /// RMS of the window in PCM16 units.
        public var rms: Double
        /// Fundamental frequency in Hz when voiced.
        public var pitch: Double?
        public var isVoiced: Bool { pitch != nil }
    }

    static let hopSamples = 320          // 20 ms at 16 kHz
    static let windowSamples = 256       // 32 ms at 8 kHz
    static let minimumLag = 20           // 400 Hz at 8 kHz
    static let maximumLag = 100          // 80 Hz at 8 kHz

    /// Every 20 ms hop of `samples` (16 kHz PCM16).
    public static func hops(_ samples: ArraySlice<Int16>) -> [Hop] {
        var result: [Hop] = []
        result.reserveCapacity(samples.count / hopSamples)
        forEachHop(samples) { result.append($0); return true }
        return result
    }

    /// Milliseconds of voiced hops in `samples` (16 kHz), counting no further than `atLeast`
    /// (the scan stops there: speech is known to be speech after its first voiced syllable).
    public static func voicedMilliseconds(_ samples: ArraySlice<Int16>, atLeast: Int = .max) -> Int {
        var voiced = 0
        forEachHop(samples) { hop in
            if hop.isVoiced { voiced += 20 }
            return voiced < atLeast
        }
        return voiced
    }

    /// A hop whose second difference carries this many times its energy is hiss: most of its
    /// energy lies above ~4 kHz (the second difference weighs a frequency f by 16 sin⁴(πf/16 kHz):
    /// 0.02 at 1 kHz, 4 at 4 kHz, 16 at 8 kHz; white noise scores 6). espeak-ng's and flite's /s/
    /// score 5-9; voiced speech and the /h/ of "uh huh" under 2 (docs/benchmarks.md).
    public static let minimumHissRatio = 5.0

    /// Milliseconds of sibilant hiss in `samples` (16 kHz wideband): unvoiced 20 ms hops, not
    /// silent, whose energy lies mostly above ~4 kHz (`minimumHissRatio`) — the /s/ of "stop",
    /// "sorry", "excuse". Counts no further than `atLeast`. Cheap where there is none: the pitch
    /// (~16 k multiply-adds) is scored only for hops that are hiss by their spectrum. A phone
    /// line carries nothing above 4 kHz: meaningless for narrowband audio.
    public static func sibilantMilliseconds(_ samples: ArraySlice<Int16>, atLeast: Int = .max) -> Int {
        guard samples.count >= windowSamples * 2 else { return 0 }
        var hiss = 0
        var start = samples.startIndex
        while start + windowSamples * 2 <= samples.endIndex, hiss < atLeast {
            if isHiss(samples[start..<start + hopSamples]), hops(samples[start..<start + windowSamples * 2]).first?.isVoiced == false {
                hiss += 20
            }
            start += hopSamples
        }
        return hiss
    }

    /// Whether a 20 ms hop is loud enough and its energy mostly high (second difference / energy).
    static func isHiss(_ hop: ArraySlice<Int16>) -> Bool {
        let mean = hop.reduce(0.0) { $0 + Double($1) } / Double(hop.count)
        var energy = 0.0, curvature = 0.0
        var previous = Double(hop[hop.startIndex]) - mean, beforePrevious = previous
        for (offset, sample) in hop.enumerated() {
            let value = Double(sample) - mean
            energy += value * value
            if offset >= 2 {
                let second = value - 2 * previous + beforePrevious
                curvature += second * second
            }
            (beforePrevious, previous) = (previous, value)
        }
        return energy / Double(hop.count) >= minimumRMS * minimumRMS && curvature >= minimumHissRatio * energy
    }

    /// Calls `body` with each hop in order until it returns false.
    private static func forEachHop(_ samples: ArraySlice<Int16>, _ body: (Hop) -> Bool) {
        guard samples.count >= windowSamples * 2 else { return }
        var window = [Double](repeating: 0, count: windowSamples)
        // Running energy of the window's head: energy[k] = sum of squares of window[0..<k].
        var energy = [Double](repeating: 0, count: windowSamples + 1)
        var start = samples.startIndex
        while start + windowSamples * 2 <= samples.endIndex {
            // Decimate by two (pairs averaged: a crude low-pass that keeps every adult pitch).
            var mean = 0.0
            for i in 0..<windowSamples {
                let value = (Double(samples[start + 2 * i]) + Double(samples[start + 2 * i + 1])) / 2
                window[i] = value
                mean += value
            }
            mean /= Double(windowSamples)
            for i in 0..<windowSamples {
                window[i] -= mean
                energy[i + 1] = energy[i] + window[i] * window[i]
            }
            let rms = (energy[windowSamples] / Double(windowSamples)).squareRoot()
            guard body(Hop(rms: rms, pitch: rms >= minimumRMS ? pitch(window, energy) : nil)) else { return }
            start += hopSamples
        }
    }

    /// A window that correlates at half its best lag at least this share as well as at the best is
    /// pitched there: the best lag was twice the period (an octave error).
    static let octaveCheckShare = 0.85

    /// The pitch of a mean-removed 8 kHz window (with its running energy), nil when it is not
    /// periodic enough. One multiply-add per sample and lag: the energies come from the sums.
    ///
    /// A periodic window correlates about as well at twice its period as at its period, and for a
    /// voice of ~170-220 Hz (both lags inside the search) the longer one won on 5-25% of the hops:
    /// the pitch read an octave low, a 12 st "fall" (docs/benchmarks.md, "Which cue this voice
    /// carries"). So half the best lag is taken when it correlates nearly as well
    /// (`octaveCheckShare`). Whether the window is voiced does not change.
    private static func pitch(_ window: [Double], _ energy: [Double]) -> Double? {
        var bestLag = 0, best = minimumCorrelation
        window.withUnsafeBufferPointer { x in
            func correlation(_ lag: Int) -> Double? {
                let count = windowSamples - lag
                var cross = 0.0
                for n in 0..<count { cross += x[n] * x[n + lag] }
                let head = energy[count], tail = energy[windowSamples] - energy[lag]
                guard head > 0, tail > 0 else { return nil }
                return cross / (head * tail).squareRoot()
            }
            for lag in minimumLag...maximumLag {
                if let r = correlation(lag), r > best { (best, bestLag) = (r, lag) }
            }
            guard bestLag > 0, (bestLag + 1) / 2 + 1 >= minimumLag else { return }
            var halfLag = 0, half = -1.0
            for lag in max(minimumLag, bestLag / 2 - 1)...((bestLag + 1) / 2 + 1) {
                if let r = correlation(lag), r > half { (half, halfLag) = (r, lag) }
            }
            if half >= octaveCheckShare * best { bestLag = halfLag }
        }
        return bestLag > 0 ? 8_000 / Double(bestLag) : nil
    }

    /// The contour of the last voiced stretch of an utterance (before its trailing silence): how
    /// the pitch and the level move over its last `milliseconds`. A statement's end falls in pitch
    /// and fades; a speaker who stops mid-sentence tends to hold the pitch level or raise it (the
    /// "continuation rise"). nil when the tail has fewer than five voiced hops.
    public struct Contour: Sendable, Equatable {
        /// Pitch change over the voiced tail, semitones per second (least squares); negative falls.
        public var pitchSlope: Double
        /// Level of the tail's last voiced hop against its loudest, dB (≤ 0).
        public var finalLevelDecibels: Double
        /// Length of the last voiced run in milliseconds (final lengthening).
        public var lastVoicedRunMilliseconds: Int
        /// The final pitch (median of the last three voiced hops) against the median pitch of every
        /// voiced hop of the samples given, semitones: a statement ends low in the speaker's range.
        public var finalPitchSemitones: Double = 0
        /// The median length of the samples' voiced runs, ms (what the last run is long against;
        /// printed by `voice turns --list`, not used by `TurnProsody`).
        public var medianVoicedRunMilliseconds: Int = 0
        /// How far this voice moves its pitch: the largest rise, semitones, of the pitch over the
        /// samples' voiced hops (a running median of five, so one stray hop is no rise) — an accent.
        /// A voice that raises its pitch ~3 st or more for its accents marks its statement ends with
        /// a fall; one that barely moves it may not (`TurnProsody.expressiveRiseSemitones`).
        public var pitchRiseSemitones: Double = 0

        public init(pitchSlope: Double, finalLevelDecibels: Double, lastVoicedRunMilliseconds: Int,
                    finalPitchSemitones: Double = 0, medianVoicedRunMilliseconds: Int = 0, pitchRiseSemitones: Double = 0) {
            self.pitchSlope = pitchSlope
            self.finalLevelDecibels = finalLevelDecibels
            self.lastVoicedRunMilliseconds = lastVoicedRunMilliseconds
            self.finalPitchSemitones = finalPitchSemitones
            self.medianVoicedRunMilliseconds = medianVoicedRunMilliseconds
            self.pitchRiseSemitones = pitchRiseSemitones
        }
    }

    public static func contour(_ samples: ArraySlice<Int16>, milliseconds: Int = 300) -> Contour? {
        let all = hops(samples)
        guard let last = all.lastIndex(where: \.isVoiced) else { return nil }
        let first = max(0, last - milliseconds / 20 + 1)
        let tail = all[first...last]
        let voiced = tail.enumerated().compactMap { offset, hop in hop.pitch.map { (Double(offset) * 0.02, 12 * log2($0)) } }
        guard voiced.count >= 5 else { return nil }
        let meanT = voiced.map(\.0).reduce(0, +) / Double(voiced.count)
        let meanP = voiced.map(\.1).reduce(0, +) / Double(voiced.count)
        let covariance = voiced.map { ($0.0 - meanT) * ($0.1 - meanP) }.reduce(0, +)
        let variance = voiced.map { ($0.0 - meanT) * ($0.0 - meanT) }.reduce(0, +)
        let loudest = tail.map(\.rms).max() ?? 1
        var run = 0
        for hop in all[...last].reversed() {
            guard hop.isVoiced else { break }
            run += 1
        }
        let pitches = all.compactMap(\.pitch).map { 12 * log2($0) }
        let final = voiced.suffix(3).map(\.1).sorted()[min(1, voiced.suffix(3).count - 1)]
        var runs: [Int] = [], current = 0
        for hop in all[...last] {
            if hop.isVoiced { current += 1 } else if current > 0 { runs.append(current); current = 0 }
        }
        runs.append(current)
        return Contour(pitchSlope: variance > 0 ? covariance / variance : 0,
                       finalLevelDecibels: 20 * log10(max(all[last].rms, 1) / max(loudest, 1)),
                       lastVoicedRunMilliseconds: run * 20,
                       finalPitchSemitones: final - pitches.sorted()[pitches.count / 2],
                       medianVoicedRunMilliseconds: runs.sorted()[runs.count / 2] * 20,
                       pitchRiseSemitones: largestRise(pitches))
    }

    /// The largest rise of a pitch track (semitones, in order), read on its running median of five.
    static func largestRise(_ pitches: [Double]) -> Double {
        var rise = 0.0, lowest = Double.infinity
        for index in pitches.indices {
            let window = pitches[max(0, index - 2)...min(pitches.count - 1, index + 2)].sorted()
            let smoothed = window[window.count / 2]
            lowest = min(lowest, smoothed)
            rise = max(rise, smoothed - lowest)
        }
        return rise
    }
}
