package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/outbox"
)

// usersPhone is `users phone --name NAME`: the officer's own phone for
// masked call-backs, read from stdin, sealed with the call-back key (bound
// to the account) and never printed back. An empty line removes it.
func usersPhone(ctx context.Context, env *opsEnv, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl := newFlags("users phone", stderr)
	dataDir := fl.String("data", "./data", "data directory")
	keysDir := fl.String("keys", "./keys", "keys directory (while serving: the server's)")
	name := fl.String("name", "", "login name of the officer")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" || fl.NArg() > 0 {
		return fmt.Errorf("users phone: --name NAME is required: %w", errUsage)
	}
	who := strings.ToLower(strings.TrimSpace(*name))
	line, err := bufio.NewReader(io.LimitReader(stdin, 256)).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("users phone: read the number: %w", err)
	}
	kd := env.serverKeys()
	if kd == (keystore.Dir{}) {
		if kd, _, err = keystore.Open(*keysDir); err != nil {
			return err
		}
	}
	sealer, _, err := gateway.LoadCallBackSealer(kd)
	if err != nil {
		return err
	}
	sealed := ""
	if strings.TrimSpace(line) != "" {
		var ok bool
		if sealed, ok = sealer.SealOfficer(who, strings.TrimSpace(line)); !ok {
			return fmt.Errorf("users phone: not a phone number (give it in E.164, e.g. +223…): %w", errUsage)
		}
	}
	acc, done, err := accountsOn(env, *dataDir, "")
	if err != nil {
		return err
	}
	defer done()
	if err := acc.SetPhone(ctx, cliActor, who, sealed); err != nil {
		return err
	}
	if sealed == "" {
		fmt.Fprintf(stdout, "phone of %s removed\n", who)
	} else {
		fmt.Fprintf(stdout, "phone of %s set (sealed; never shown)\n", who)
	}
	return nil
}

// addCallSenders adds to the outbox's senders, for every voice channel
// with callback_on_missed_call, the one that places its call-backs (the
// pseudo-channel gateway.MissedCallChannel): the sealed numbers wait and
// are retried in the outbox like SMS replies.
func addCallSenders(cfg *config.Config, keysDir string, senders map[string]outbox.Sender, names map[string]string) error {
	for _, ch := range cfg.Channels {
		v := ch.Voice
		if v == nil || !v.CallBackOnMissedCall || v.CallBack == nil {
			continue
		}
		d, _ := providers.Get(ch.Provider)
		if d.Voice == nil || d.Voice.NewCaller == nil {
			return fmt.Errorf("channel %s: voice.callback_on_missed_call: provider %s places no calls", ch.ID, ch.Provider)
		}
		field, secret := d.Voice.Secret(*v)
		value := ""
		if !(d.Voice.SecretOptional && secret.IsZero()) {
			var err error
			if value, err = secret.Resolve(keysDir); err != nil {
				return fmt.Errorf("channel %s: %s: %w", ch.ID, field, err)
			}
		}
		answer := strings.TrimRight(v.PublicURL, "/") + "/c/" + ch.ID + "/voice"
		pseudo := gateway.MissedCallChannel(ch.ID)
		senders[pseudo] = gateway.CallSender{Caller: d.Voice.NewCaller(ch, value, &http.Client{Timeout: 10 * time.Second}), AnswerURL: answer}
		names[pseudo] = ch.Name + " (missed-call call-backs)"
	}
	return nil
}

// gatewayKeys loads what the gateway keys and seals numbers with: the
// caller-key ring and the call-back sealer, each taking rotated versions
// while serving.
func gatewayKeys(kd keystore.Dir, ops *opsEnv) (*callerid.Keyring, *gateway.CallBackSealer, error) {
	keyring, _, err := callerid.Load(kd)
	if err != nil {
		return nil, nil, err
	}
	ops.useKeys(callerid.Purpose, keyring.UseKeys)
	sealer, _, err := gateway.LoadCallBackSealer(kd)
	if err != nil {
		return nil, nil, err
	}
	ops.useKeys(gateway.CallBackPurpose, sealer.UseKeys)
	return keyring, sealer, nil
}
