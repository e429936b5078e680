// Package promptaudio turns a recording a field team made (a phone's WAV
// or MP3, any rate, mono or stereo) into a voice prompt as calls play it:
// 8 kHz mono 16-bit PCM WAV, silence trimmed at both ends, loudness
// normalised so every prompt of a call sounds alike.
//
// It is for staff prompts only: a caller's voice message must never go
// through it (those are sealed by the recordings package, as received).
// It imports nothing of this module.
package promptaudio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
	"github.com/hajimehoshi/go-mp3"
)

// Rate is the sample rate of every prompt: telephone audio (G.711).
const Rate = 8000

const (
	// targetRMS is the loudness of the voiced part, in dBFS: loud enough
	// on a basic phone's earpiece, with room for the peaks.
	targetRMS = -20.0
	// peakLimit is the highest sample level allowed, in dBFS.
	peakLimit = -1.0
	// silence is the frame level under which the ends are trimmed, in dBFS.
	silence = -45.0
	// margin is kept before the first and after the last voiced frame.
	margin = 0.15 // seconds
	frame  = Rate / 100
	// MaxSeconds bounds a prompt: no menu line needs more, and a longer
	// file is most likely the wrong one.
	MaxSeconds = 120
)

// ErrNeedsFFmpeg says the format is one Go has no decoder for (AMR, M4A,
// Opus, what many phones record) and ffmpeg is not installed.
var ErrNeedsFFmpeg = errors.New("promptaudio: this format needs ffmpeg, which is not installed (apt-get install ffmpeg), or send a WAV or MP3")

// ErrSilent says the recording holds no voice above the silence level.
var ErrSilent = errors.New("promptaudio: the recording is silent")

// Converted is a prompt ready to play, with what was done to it.
type Converted struct {
	WAV      []byte  // 8 kHz mono 16-bit PCM WAV
	Seconds  float64 // duration after trimming
	Format   string  // what the input was: wav, mp3, or the format ffmpeg read
	InRate   int     // the input's sample rate
	GainDB   float64 // gain applied to reach the target loudness
	Trimmed  float64 // seconds of silence cut at both ends together
	Clipping bool    // the input had samples at full scale (recorded too loud)
}

// Convert reads a recording (WAV, MP3; AMR, M4A, Ogg/Opus through ffmpeg
// when installed) and returns it as a prompt.
func Convert(data []byte) (Converted, error) {
	samples, rate, format, err := decode(data)
	if err != nil {
		return Converted{}, err
	}
	if rate <= 0 || len(samples) == 0 {
		return Converted{}, fmt.Errorf("promptaudio: %s: no audio", format)
	}
	if float64(len(samples))/float64(rate) > MaxSeconds {
		return Converted{}, fmt.Errorf("promptaudio: %s: longer than %d s", format, MaxSeconds)
	}
	clipping := peak(samples) >= 0.999
	pcm := resample(samples, rate, Rate)
	before := float64(len(pcm)) / Rate
	pcm, ok := trim(pcm)
	if !ok {
		return Converted{}, ErrSilent
	}
	gain := normalise(pcm)
	return Converted{
		WAV: encode(pcm), Seconds: float64(len(pcm)) / Rate, Format: format, InRate: rate,
		GainDB: gain, Trimmed: before - float64(len(pcm))/Rate, Clipping: clipping,
	}, nil
}

// decode returns the recording as mono samples in [-1, 1] and its rate.
func decode(data []byte) ([]float64, int, string, error) {
	switch {
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		s, r, err := decodeWAV(data)
		return s, r, "wav", err
	case isMP3(data):
		s, r, err := decodeMP3(data)
		return s, r, "mp3", err
	case bytes.HasPrefix(data, []byte("#!AMR")):
		return viaFFmpeg(data, "amr")
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return viaFFmpeg(data, "m4a")
	case bytes.HasPrefix(data, []byte("OggS")):
		return viaFFmpeg(data, "ogg")
	}
	return nil, 0, "", errors.New("promptaudio: not a WAV, MP3, AMR, M4A or Ogg file")
}

func isMP3(data []byte) bool {
	return bytes.HasPrefix(data, []byte("ID3")) || (len(data) >= 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0)
}

func decodeWAV(data []byte) ([]float64, int, error) {
	d := wav.NewDecoder(bytes.NewReader(data))
	if !d.IsValidFile() {
		return nil, 0, errors.New("promptaudio: wav: not a PCM WAV file")
	}
	buf, err := d.FullPCMBuffer()
	if err != nil {
		return nil, 0, fmt.Errorf("promptaudio: wav: %w", err)
	}
	if d.WavAudioFormat != 1 {
		return nil, 0, fmt.Errorf("promptaudio: wav: format %d is not PCM", d.WavAudioFormat)
	}
	return mono(buf.Data, buf.Format.NumChannels, int(d.BitDepth)), buf.Format.SampleRate, nil
}

func decodeMP3(data []byte) ([]float64, int, error) {
	d, err := mp3.NewDecoder(bytes.NewReader(data))
	if err != nil {
		return nil, 0, fmt.Errorf("promptaudio: mp3: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(d, int64(MaxSeconds+1)*int64(d.SampleRate())*4))
	if err != nil {
		return nil, 0, fmt.Errorf("promptaudio: mp3: %w", err)
	}
	// go-mp3 gives 16-bit little-endian stereo.
	ints := make([]int, len(raw)/2)
	for i := range ints {
		ints[i] = int(int16(binary.LittleEndian.Uint16(raw[2*i:])))
	}
	return mono(ints, 2, 16), d.SampleRate(), nil
}

// viaFFmpeg has ffmpeg write the recording as 16-bit mono WAV at 8 kHz.
func viaFFmpeg(data []byte, format string) ([]float64, int, string, error) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, 0, format, fmt.Errorf("%w (%s)", ErrNeedsFFmpeg, format)
	}
	in, err := os.CreateTemp("", "prompt-*."+format)
	if err != nil {
		return nil, 0, format, fmt.Errorf("promptaudio: %w", err)
	}
	defer os.Remove(in.Name())
	if _, err := in.Write(data); err != nil {
		in.Close()
		return nil, 0, format, fmt.Errorf("promptaudio: %w", err)
	}
	in.Close()
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, "-nostdin", "-loglevel", "error", "-i", in.Name(), "-ac", "1", "-ar", fmt.Sprint(Rate), "-c:a", "pcm_s16le", "-f", "wav", "-")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, 0, format, fmt.Errorf("promptaudio: ffmpeg could not read the %s file: %v: %s", format, err, bytes.TrimSpace(stderr.Bytes()))
	}
	s, r, err := decodeWAV(out.Bytes())
	return s, r, format, err
}

// mono averages the channels of interleaved integer samples of depth bits.
func mono(data []int, channels, bits int) []float64 {
	if channels < 1 {
		channels = 1
	}
	scale := math.Ldexp(1, bits-1)
	if bits == 8 { // 8-bit WAV is unsigned
		scale = 128
	}
	out := make([]float64, len(data)/channels)
	for i := range out {
		sum := 0.0
		for c := range channels {
			v := float64(data[i*channels+c])
			if bits == 8 {
				v -= 128
			}
			sum += v
		}
		out[i] = sum / float64(channels) / scale
	}
	return out
}

// resample converts from rate in to rate out with a windowed-sinc
// low-pass (Blackman window), cut at 90% of the lower Nyquist frequency:
// no aliasing from a 44.1 kHz phone recording into the telephone band.
func resample(in []float64, from, to int) []float64 {
	if from == to {
		return append([]float64(nil), in...)
	}
	ratio := float64(to) / float64(from)
	cutoff := 0.45 * math.Min(1, ratio) // cycles per input sample
	half := int(math.Ceil(8 / cutoff))  // taps each side
	n := int(float64(len(in)) * ratio)
	out := make([]float64, n)
	for i := range out {
		x := float64(i) / ratio
		c := int(math.Floor(x))
		sum, norm := 0.0, 0.0
		for k := c - half + 1; k <= c+half; k++ {
			d := x - float64(k)
			w := blackman(d / float64(half))
			h := 2 * cutoff * sinc(2*cutoff*d) * w
			norm += h
			if k >= 0 && k < len(in) {
				sum += in[k] * h
			}
		}
		if norm != 0 {
			out[i] = sum / norm
		}
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the Blackman window over t in [-1, 1].
func blackman(t float64) float64 {
	if t <= -1 || t >= 1 {
		return 0
	}
	u := (t + 1) / 2
	return 0.42 - 0.5*math.Cos(2*math.Pi*u) + 0.08*math.Cos(4*math.Pi*u)
}

func db(v float64) float64 {
	if v <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(v)
}

func rms(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	sum := 0.0
	for _, v := range s {
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(s)))
}

func peak(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// trim cuts the silence before the first and after the last voiced 10 ms
// frame, keeping a margin; ok is false when no frame is voiced.
func trim(s []float64) ([]float64, bool) {
	first, last := -1, -1
	for f := 0; f*frame < len(s); f++ {
		end := min((f+1)*frame, len(s))
		if db(rms(s[f*frame:end])) > silence {
			if first < 0 {
				first = f
			}
			last = f
		}
	}
	if first < 0 {
		return nil, false
	}
	m := int(margin * Rate)
	start := max(first*frame-m, 0)
	end := min((last+1)*frame+m, len(s))
	return s[start:end], true
}

// voicedRMS is the level of the frames above the silence level.
func voicedRMS(s []float64) float64 {
	sum, n := 0.0, 0
	for f := 0; f*frame < len(s); f++ {
		seg := s[f*frame : min((f+1)*frame, len(s))]
		if db(rms(seg)) > silence {
			for _, v := range seg {
				sum += v * v
			}
			n += len(seg)
		}
	}
	if n == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(n))
}

// normalise scales s in place so its voiced part is at targetRMS, without
// a peak over peakLimit, and returns the gain in dB.
func normalise(s []float64) float64 {
	gain := targetRMS - db(voicedRMS(s))
	if p := db(peak(s)); p+gain > peakLimit {
		gain = peakLimit - p
	}
	g := math.Pow(10, gain/20)
	for i := range s {
		s[i] *= g
	}
	return gain
}

// encode writes s as 16-bit mono PCM WAV at Rate.
func encode(s []float64) []byte {
	data := make([]int, len(s))
	for i, v := range s {
		data[i] = int(math.Round(math.Max(-1, math.Min(1, v)) * 32767))
	}
	var ws writeSeeker
	e := wav.NewEncoder(&ws, Rate, 16, 1, 1)
	// Writing to memory cannot fail.
	_ = e.Write(&audio.IntBuffer{Data: data, Format: &audio.Format{NumChannels: 1, SampleRate: Rate}, SourceBitDepth: 16})
	_ = e.Close()
	return ws.buf
}

// writeSeeker is an in-memory io.WriteSeeker (the WAV encoder seeks back
// to write the sizes in the header).
type writeSeeker struct {
	buf []byte
	pos int
}

func (w *writeSeeker) Write(p []byte) (int, error) {
	if need := w.pos + len(p); need > len(w.buf) {
		w.buf = append(w.buf, make([]byte, need-len(w.buf))...)
	}
	copy(w.buf[w.pos:], p)
	w.pos += len(p)
	return len(p), nil
}

func (w *writeSeeker) Seek(off int64, whence int) (int64, error) {
	var base int
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = w.pos
	case io.SeekEnd:
		base = len(w.buf)
	default:
		return 0, errors.New("promptaudio: bad whence")
	}
	p := base + int(off)
	if p < 0 {
		return 0, errors.New("promptaudio: seek before start")
	}
	w.pos = p
	return int64(p), nil
}
