package promptaudio_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/numerovert/hotline/internal/promptaudio"
)

// tone is a WAV of lead seconds of silence, then a sine of freq Hz at
// level dBFS for on seconds, then lead seconds of silence.
func tone(t *testing.T, rate, channels, bits int, freq, level, lead, on float64, more ...float64) []byte {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "in-*.wav")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	amp := math.Pow(10, level/20) * math.Ldexp(1, bits-1)
	n := int(float64(rate) * (2*lead + on))
	data := make([]int, 0, n*channels)
	for i := range n {
		v := 0.0
		if s := float64(i) / float64(rate); s >= lead && s < lead+on {
			v = amp * math.Sin(2*math.Pi*freq*s)
			for _, f := range more {
				v += amp * math.Sin(2*math.Pi*f*s)
			}
		}
		if bits == 8 { // 8-bit WAV is unsigned, silence at 128
			v += 128
		}
		for range channels {
			data = append(data, int(v))
		}
	}
	e := wav.NewEncoder(f, rate, bits, channels, 1)
	if err := e.Write(&audio.IntBuffer{Data: data, Format: &audio.Format{NumChannels: channels, SampleRate: rate}, SourceBitDepth: bits}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// read decodes a converted prompt, failing unless it is 8 kHz mono 16-bit.
func read(t *testing.T, b []byte) []float64 {
	t.Helper()
	d := wav.NewDecoder(bytes.NewReader(b))
	buf, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatal(err)
	}
	if d.SampleRate != 8000 || d.NumChans != 1 || d.BitDepth != 16 || d.WavAudioFormat != 1 {
		t.Fatalf("prompt is %d Hz, %d channels, %d bits, format %d; want 8000 Hz mono 16-bit PCM", d.SampleRate, d.NumChans, d.BitDepth, d.WavAudioFormat)
	}
	out := make([]float64, len(buf.Data))
	for i, v := range buf.Data {
		out[i] = float64(v) / 32768
	}
	return out
}

func level(s []float64) (rmsDB, peakDB float64) {
	sum, p := 0.0, 0.0
	for _, v := range s {
		sum += v * v
		p = math.Max(p, math.Abs(v))
	}
	return 20 * math.Log10(math.Sqrt(sum/float64(len(s)))), 20 * math.Log10(p)
}

// A quiet stereo phone recording at 44.1 kHz becomes an 8 kHz mono prompt:
// the silence around the words cut to a short margin, the voice brought
// to the common loudness.
func TestConvertTrimsAndNormalises(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		rate, channels, bits int
	}{{"44.1 kHz stereo 16-bit", 44100, 2, 16}, {"16 kHz mono 24-bit", 16000, 1, 24}, {"8 kHz mono 8-bit", 8000, 1, 8}} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := promptaudio.Convert(tone(t, tt.rate, tt.channels, tt.bits, 440, -35, 1.0, 1.0))
			if err != nil {
				t.Fatal(err)
			}
			s := read(t, c.WAV)
			if secs := float64(len(s)) / 8000; math.Abs(secs-1.3) > 0.05 || math.Abs(c.Seconds-secs) > 0.001 {
				t.Errorf("%.3f s of prompt (reported %.3f), want 1.3 s: 1 s of tone and 0.15 s either side", secs, c.Seconds)
			}
			if math.Abs(c.Trimmed-1.7) > 0.05 {
				t.Errorf("trimmed %.3f s, want 1.7", c.Trimmed)
			}
			// The middle of the tone: a sine at -20 dBFS RMS.
			mid := s[len(s)/2-2000 : len(s)/2+2000]
			if r, p := level(mid); math.Abs(r+20) > 0.5 || p > -1 {
				t.Errorf("tone at %.1f dBFS RMS, peak %.1f dBFS; want -20 RMS, peak at most -1", r, p)
			}
			if c.InRate != tt.rate || c.Format != "wav" || c.GainDB < 10 {
				t.Errorf("report: %s at %d Hz, gain %.1f dB", c.Format, c.InRate, c.GainDB)
			}
		})
	}
}

// A loud recording is brought down so no peak passes -1 dBFS; a tone above
// the telephone band does not fold back into it (no aliasing): alone, it
// leaves nothing to hear.
func TestConvertLimitsPeaksAndFilters(t *testing.T) {
	c, err := promptaudio.Convert(tone(t, 44100, 1, 16, 1000, 0, 0.2, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	if _, p := level(read(t, c.WAV)); p > -0.9 || !c.Clipping {
		t.Errorf("peak %.2f dBFS, clipping reported %v; want ≤ -1 and true", p, c.Clipping)
	}
	// 440 Hz and 6 kHz, as loud: 6 kHz is above the 4 kHz band and must not
	// come back as its 2 kHz alias.
	c, err = promptaudio.Convert(tone(t, 44100, 1, 16, 440, -20, 0.2, 1, 6000))
	if err != nil {
		t.Fatal(err)
	}
	s := read(t, c.WAV)
	mid := s[len(s)/2-2000 : len(s)/2+2000]
	if voice, alias := goertzel(mid, 440), goertzel(mid, 2000); alias-voice > -50 {
		t.Errorf("2 kHz alias at %.1f dB against the 440 Hz tone; want under -50", alias-voice)
	}
	if _, err := promptaudio.Convert(tone(t, 8000, 1, 16, 440, -80, 0.2, 0.5)); !errors.Is(err, promptaudio.ErrSilent) {
		t.Errorf("a silent recording: err = %v, want ErrSilent", err)
	}
}

// An MP3 (stereo, made with lame from espeak-ng's voice) decodes in Go.
func TestConvertMP3(t *testing.T) {
	in, err := os.ReadFile("testdata/fr-plainte.mp3")
	if err != nil {
		t.Fatal(err)
	}
	c, err := promptaudio.Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	s := read(t, c.WAV)
	if c.Format != "mp3" || c.Seconds < 1 || c.Seconds > 4 {
		t.Errorf("report: %s, %.2f s", c.Format, c.Seconds)
	}
	if r, p := level(s); r < -30 || p > -0.9 {
		t.Errorf("speech at %.1f dBFS RMS, peak %.1f", r, p)
	}
}

// Formats Go cannot decode need ffmpeg, and say so; anything else is refused.
func TestConvertOtherFormats(t *testing.T) {
	amr := append([]byte("#!AMR\n"), bytes.Repeat([]byte{0x3c, 0x48, 0xf5, 0x1f}, 100)...)
	_, err := promptaudio.Convert(amr)
	if _, look := exec.LookPath("ffmpeg"); look != nil && !errors.Is(err, promptaudio.ErrNeedsFFmpeg) {
		t.Errorf("AMR without ffmpeg: err = %v, want ErrNeedsFFmpeg", err)
	}
	if _, err := promptaudio.Convert([]byte("this is a text file, not a recording")); err == nil {
		t.Error("a text file was taken as a recording")
	}
}

// goertzel is the level in dB of frequency f (Hz) in s at 8 kHz.
func goertzel(s []float64, f float64) float64 {
	w := 2 * math.Pi * f / 8000
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := x + c*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 10 * math.Log10(p+1e-30)
}
