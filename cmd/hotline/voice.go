package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/simulator"
)

// listenStart starts a channel whose provider holds the calls itself
// (SIP), once the gateway that walks them exists.
type listenStart func(ctx context.Context, calls provider.CallSteps) (stop func(), err error)

// setupVoice builds each voice channel's adapter from the config, and the
// listeners of the providers that hold calls themselves (SIP). Voice
// needs a recordings store: the file beside the cases, or on a gateway
// replica the handoff to the casework node (voiceRecordings).
func setupVoice(cfg *config.Config, keysDir, localesDir, dataDir string, recs gateway.Recordings, log *slog.Logger) (gateway.VoiceOptions, []listenStart, error) {
	if recs == nil {
		return gateway.VoiceOptions{}, nil, nil
	}
	var starts []listenStart
	// Prompts added at run time (`prompts add`) over the shipped ones, for
	// the aggregators' players and the SIP calls alike.
	audio := layeredFS{top: os.DirFS(filepath.Join(dataDir, promptsDir)), base: audioFS(localesDir)}
	channels := map[string]gateway.VoiceChannel{}
	for _, ch := range cfg.Channels {
		v := ch.Voice
		if v == nil {
			continue
		}
		d, _ := providers.Get(ch.Provider) // providers.Check passed at start
		vc := gateway.VoiceChannel{PublicURL: v.PublicURL, RecordingHosts: v.Hosts(d.Voice.RecordingHosts), CredentialHosts: v.CredentialHosts(d.Voice.APIHosts), DownloadTimeout: v.DownloadTimeout}
		field, secret := d.Voice.Secret(*v)
		value := ""
		if !(d.Voice.SecretOptional && secret.IsZero()) {
			var err error
			if value, err = secret.Resolve(keysDir); err != nil {
				return gateway.VoiceOptions{}, nil, fmt.Errorf("channel %s: %s: %w", ch.ID, field, err)
			}
			warnDemo(log, ch, "voice", secret)
		}
		vc.Adapter = d.Voice.New(ch, value)
		if v.CallBack != nil {
			if d.Voice.NewCaller == nil {
				return gateway.VoiceOptions{}, nil, fmt.Errorf("channel %s: voice.callback: provider %s places no calls", ch.ID, ch.Provider)
			}
			vc.Caller = d.Voice.NewCaller(ch, value, &http.Client{Timeout: 10 * time.Second})
			vc.CallBack, vc.Screens, vc.MissedCalls = v.CallBack, d.Voice.ScreensDial, v.CallBackOnMissedCall
		}
		channels[ch.ID] = vc
		if listen := d.Voice.Listen; listen != nil {
			o := provider.ListenOptions{Audio: audio, Log: log}
			if v.TTS == nil || *v.TTS {
				o.Speak = localSpeech()
			}
			starts = append(starts, func(ctx context.Context, calls provider.CallSteps) (func(), error) {
				o.Calls = calls
				return listen(ctx, ch, value, o)
			})
		}
	}
	if len(channels) == 0 {
		return gateway.VoiceOptions{}, nil, nil
	}
	return gateway.VoiceOptions{Channels: channels, Recordings: recs, Audio: audio}, starts, nil
}

// audioFS is the prompts directory: DIR/audio with --locales, else the
// recordings embedded at build time.
func audioFS(localesDir string) fs.FS {
	if localesDir != "" {
		return os.DirFS(filepath.Join(localesDir, "audio"))
	}
	sub, _ := fs.Sub(locales.Audio, "audio") // the embedded tree always has audio/
	return sub
}

// prompts runs `hotline prompts script|generate`.
func prompts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "script":
		fl := newFlags("prompts script", stderr)
		lang := fl.String("lang", "", "only this language")
		markdown := fl.Bool("markdown", false, "a Markdown table per language instead of tab-separated lines")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		cat, err := loadCatalog(fl.Arg(0))
		if err != nil {
			return err
		}
		return writeScript(stdout, cat, *lang, *markdown)
	case "add":
		fl := newFlags("prompts add", stderr)
		data := fl.String("data", "data", "the hotline's data directory; the prompt goes to DATA/audio/<lang>/<key>.wav")
		dir := fl.String("locales", "", "locales directory (default: the embedded one)")
		lang := fl.String("lang", "", "language of the recording (bm, fr, ff, taq, ses, en)")
		key := fl.String("key", "", "the prompt it says (a key of `hotline prompts script`)")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		if fl.NArg() != 1 || *lang == "" || *key == "" {
			return errUsage
		}
		note, err := addPrompt(ctx, *dir, *data, *lang, *key, fl.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, note)
		return nil
	case "numbers":
		fl := newFlags("prompts numbers", stderr)
		lang := fl.String("lang", "", "the text in this language (default: the French source)")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		cat, err := loadCatalog(fl.Arg(0))
		if err != nil {
			return err
		}
		return writeNumbers(stdout, cat, *lang)
	case "staff-key":
		fl := newFlags("prompts staff-key", stderr)
		keys := fl.String("keys", "keys", "the keys directory the server uses")
		number := fl.String("number", "", "the staff member's phone number (read from standard input when empty)")
		country := fl.String("country", "ML", "the country of a number written without its code")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		return printStaffKey(os.Stdin, stdout, *keys, *number, *country)
	case "generate":
		fl := newFlags("prompts generate", stderr)
		dir := fl.String("locales", "locales", "locales directory; WAVs go to DIR/audio/<lang>/")
		langs := fl.String("langs", "fr,en", "languages to voice with espeak-ng")
		force := fl.Bool("force", false, "overwrite existing files (never use on real recordings)")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		cat, err := loadCatalog(*dir)
		if err != nil {
			return err
		}
		n, err := generatePrompts(ctx, cat, *dir, strings.Split(*langs, ","), *force)
		fmt.Fprintf(stderr, "prompts: %d placeholder recording(s) written under %s\n", n, filepath.Join(*dir, "audio"))
		return err
	}
	return errUsage
}

func writeScript(w io.Writer, cat *menus.Catalog, only string, markdown bool) error {
	lines := cat.Script()
	if !markdown {
		tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
		for _, l := range lines {
			if only != "" && l.Lang != only {
				continue
			}
			note := ""
			if l.Borrowed {
				note = "\t(French text: translate before recording)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s%s\n", l.Lang, l.File, strings.ReplaceAll(l.Text, "\n", " "), note)
		}
		return tw.Flush()
	}
	lang := ""
	for _, l := range lines {
		if only != "" && l.Lang != only {
			continue
		}
		if l.Lang != lang {
			lang = l.Lang
			fmt.Fprintf(w, "\n## %s (%s)\n\n| file | say | status |\n|---|---|---|\n", cat.LanguageName(lang), lang)
		}
		status := ""
		if l.Borrowed {
			status = "French text: translate first"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", l.File, strings.ReplaceAll(l.Text, "\n", " "), status)
	}
	return nil
}

// generatePrompts voices every script line of langs with espeak-ng and
// converts it with sox to 8 kHz mono 16-bit PCM, the format every
// provider plays. Existing files are kept unless force.
func generatePrompts(ctx context.Context, cat *menus.Catalog, dir string, langs []string, force bool) (int, error) {
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			return 0, fmt.Errorf("prompts: %s not found (Debian: apt-get install espeak-ng sox): %w", tool, err)
		}
	}
	n := 0
	for _, l := range cat.Script() {
		// A locale's `tts:` names a voice espeak-ng has (fr-FR, en-US).
		voice := cat.TTS(l.Lang)
		if voice == "" || !slices.Contains(langs, l.Lang) {
			continue
		}
		out := filepath.Join(dir, filepath.FromSlash(l.File))
		if _, err := os.Stat(out); err == nil && !force {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return n, fmt.Errorf("prompts: %w", err)
		}
		if err := voiceLine(ctx, voice, l.Text, out); err != nil {
			return n, fmt.Errorf("prompts: %s: %w", l.File, err)
		}
		n++
	}
	return n, nil
}

func voiceLine(ctx context.Context, voice, text, out string) error {
	wav, err := speakWAV(ctx, voice, text)
	if err != nil {
		return err
	}
	tmp := out + ".tmp.wav"
	if err := os.WriteFile(tmp, wav, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// speakWAV voices text with espeak-ng and converts it with sox to an 8 kHz
// mono 16-bit PCM WAV: `prompts generate`, and the SIP provider's
// text-to-speech for prompts with no recording (place names).
func speakWAV(ctx context.Context, voice, text string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var wav, out, errb bytes.Buffer
	speak := exec.CommandContext(ctx, "espeak-ng", "-v", voice, "-s", "150", "--stdout", strings.ReplaceAll(text, "\n", ". "))
	speak.Stdout, speak.Stderr = &wav, &errb
	if err := speak.Run(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	conv := exec.CommandContext(ctx, "sox", "-t", "wav", "-", "-t", "wav", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-")
	conv.Stdin, conv.Stdout, conv.Stderr = &wav, &out, &errb
	if err := conv.Run(); err != nil {
		return nil, fmt.Errorf("sox: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// localSpeech is speakWAV when espeak-ng and sox are installed, else nil
// (SIP calls then skip prompts that have no recording).
func localSpeech() func(ctx context.Context, voice, text string) ([]byte, error) {
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil
		}
	}
	return speakWAV
}

func simulateVoice(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	fl := newFlags("simulate voice", stderr)
	provider := fl.String("provider", simulator.ProviderAT, "africastalking or twilio")
	target := fl.String("url", "", "the channel's voice URL (default: the demo channel of --provider on 127.0.0.1:8080)")
	phone := fl.String("phone", "+22376000001", "caller number (use the +223 7600xxxx example range)")
	keys := fl.String("keys", "", "comma-separated keys to press at each question; '-' lets a question time out, 'rec' leaves a voice message, 'hangup' ends the call")
	interactive := fl.Bool("interactive", false, "press each key at the terminal")
	token := fl.String("auth-token", "demo-twilio-auth-token-NOT-A-SECRET", "Twilio auth token that signs the webhooks (default: the demo's)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *provider != simulator.ProviderAT && *provider != simulator.ProviderTwilio {
		return fmt.Errorf("simulate voice: unknown provider %q: %w", *provider, errUsage)
	}
	if *target == "" {
		*target = "http://127.0.0.1:8080/c/demo-at/voice"
		if *provider == simulator.ProviderTwilio {
			*target = "http://127.0.0.1:8080/c/demo-twilio/voice"
		}
	}
	v := &simulator.Voice{Provider: *provider, URL: *target, Phone: *phone, AuthToken: *token}
	stop, err := v.ServeRecording()
	if err != nil {
		return err
	}
	defer stop()
	var press simulator.Keypad
	if *interactive {
		press = simulator.TerminalKeypad(stdin, stdout)
	} else {
		var list []string
		if *keys != "" {
			list = strings.Split(*keys, ",")
		}
		script, pressed := simulator.ScriptedKeypad(list), 0
		press = func(heard []string) string {
			pressed++
			return script(heard)
		}
		defer func() {
			// The keys ran out while the call still asked for more: a
			// script that stops short is an error, not a silent hang-up.
			if errors.Is(err, simulator.ErrHungUp) && pressed > len(list) {
				err = fmt.Errorf("simulate voice: the %d keys ended before the call did", len(list))
			}
		}()
	}
	_, err = v.Call(ctx, press, func(line string) { fmt.Fprintln(stdout, line) })
	if errors.Is(err, simulator.ErrHungUp) && *interactive {
		return nil
	}
	return err
}
