package sip

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/zaf/g711"
)

// Audio on the trunk is G.711 at 8 kHz, one 20 ms frame (160 samples, 160
// bytes) per RTP packet. The prompts are 8 kHz 16-bit mono PCM WAV files
// (docs/prompts.md), the same the HTTP voice providers fetch.
const (
	sampleRate     = 8000
	frameSamples   = 160 // 20 ms
	frameDuration  = 20  // ms
	bytesPerSample = 2
)

// Law is the G.711 companding the call negotiated.
type Law int

// The two G.711 laws: PCMU (RTP payload type 0) and PCMA (8).
const (
	ULaw Law = iota
	ALaw
)

// encode companders one 16-bit sample.
func (l Law) encode(s int16) byte {
	if l == ALaw {
		return g711.EncodeAlawFrame(s)
	}
	return g711.EncodeUlawFrame(s)
}

// decode expands one G.711 byte to a 16-bit sample.
func (l Law) decode(b byte) int16 {
	if l == ALaw {
		return g711.DecodeAlawFrame(b)
	}
	return g711.DecodeUlawFrame(b)
}

var errNotPCM = errors.New("not an 8 kHz 16-bit mono PCM WAV file")

// ReadWAV returns the samples of an 8 kHz, 16-bit, mono PCM WAV file; any
// other format is refused (the prompts are made in that one format).
func ReadWAV(b []byte) ([]int16, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errNotPCM
	}
	var fmtOK bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		if size > len(body) {
			if id != "data" {
				return nil, fmt.Errorf("wav chunk %q: %w", id, errNotPCM)
			}
			size = len(body) // a stream's header written before its length
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 || binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 ||
				binary.LittleEndian.Uint32(body[4:]) != sampleRate || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, errNotPCM
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, errNotPCM
			}
			out := make([]int16, size/bytesPerSample)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return out, nil
		}
		p += 8 + size + size%2 // chunks are word aligned
	}
	return nil, errNotPCM
}

// WriteWAV wraps samples as an 8 kHz 16-bit mono PCM WAV file, the format
// of voice messages from the other providers.
func WriteWAV(samples []int16) []byte {
	var b bytes.Buffer
	data := len(samples) * bytesPerSample
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(sampleRate), uint32(sampleRate * bytesPerSample), uint16(bytesPerSample), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v) // a bytes.Buffer takes every write
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	_ = binary.Write(&b, binary.LittleEndian, samples)
	return b.Bytes()
}

// Frames companders samples into 20 ms G.711 frames; the last frame is
// padded with silence, so that every clip starts on a frame boundary.
func Frames(samples []int16, law Law) [][]byte {
	n := (len(samples) + frameSamples - 1) / frameSamples
	out := make([][]byte, n)
	silence := law.encode(0)
	for i := range out {
		f := make([]byte, frameSamples)
		for j := range f {
			k := i*frameSamples + j
			if k < len(samples) {
				f[j] = law.encode(samples[k])
			} else {
				f[j] = silence
			}
		}
		out[i] = f
	}
	return out
}

// Decode expands G.711 bytes to samples.
func Decode(payload []byte, law Law) []int16 {
	out := make([]int16, len(payload))
	for i, b := range payload {
		out[i] = law.decode(b)
	}
	return out
}

// beep is the tone before a voice message: 400 ms at 1 kHz, half scale,
// as the aggregators' Record plays.
func beep() []int16 {
	out := make([]int16, sampleRate*400/1000)
	for i := range out {
		out[i] = int16(16000 * math.Sin(2*math.Pi*1000*float64(i)/sampleRate))
	}
	return out
}

// loud reports whether a frame holds speech rather than line noise: its
// mean absolute amplitude is above about -40 dBFS.
func loud(samples []int16) bool {
	if len(samples) == 0 {
		return false
	}
	var sum int64
	for _, s := range samples {
		if s < 0 {
			sum -= int64(s)
		} else {
			sum += int64(s)
		}
	}
	return sum/int64(len(samples)) > 300
}
