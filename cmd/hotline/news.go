package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
	"github.com/numerovert/hotline/menus/overlay"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/scaleout"
	"github.com/numerovert/hotline/subscribers"
)

// SMS news of the information line in a scale-out (issues 15 and 19): the
// subscriber file lives with the cases; a gateway replica queues sealed
// subscription changes in Redis (scaleout.Subscriptions), the casework
// node applies them (scaleout.SubscriptionConsumer) and queues approved
// broadcasts on the gateways' Redis outbox (gateway.Broadcaster), which
// the gateways' workers send, each message once.

// gatewaySubscriptions is a gateway replica's SMS news: sealed requests
// to the casework node, when this replica holds the casework node's
// subscriber key (nil, with a warning, when not: no SMS news here).
func (m *Main) gatewaySubscriptions(ctx context.Context, kd keystore.Dir, so scaleOut, ops *opsEnv) (gateway.Subscriptions, error) {
	if m.InitKeys {
		if _, _, err := kd.Keys(subscribers.Purpose); err != nil {
			return nil, err
		}
	}
	fps, err := kd.List()
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(fps, func(f keystore.Fingerprint) bool { return strings.HasPrefix(f.Name, subscribers.Purpose+"-") }) {
		m.log.Warn("no subscriber key in the keys directory: this gateway offers no SMS news; copy the casework node's subscriber-k*.key here", "path", m.KeysDir)
		return nil, nil
	}
	if err := scaleout.CheckKeys(ctx, so.rdb, so.prefix, fps); err != nil {
		return nil, err
	}
	keys, _, err := kd.Keys(subscribers.Purpose)
	if err != nil {
		return nil, err
	}
	sealer, err := subscribers.NewRequestSealer(keys)
	if err != nil {
		return nil, err
	}
	ops.useKeys(subscribers.Purpose, sealer.UseKeys)
	return scaleout.NewSubscriptions(so.rdb, so.prefix, sealer), nil
}

// applySubscriptions applies what gateway replicas queue to subs until
// the server closes (registered after subs.Close, so it stops first) and
// returns the function broadcasts run first.
func (m *Main) applySubscriptions(so scaleOut, subs *subscribers.Store) func(context.Context) error {
	c := scaleout.NewSubscriptionConsumer(so.rdb, so.prefix, subs, m.log)
	m.background(c.Run)
	return func(ctx context.Context) error { _, err := c.ApplyPending(ctx); return err }
}

// background runs job until the server closes; Close waits for it.
func (m *Main) background(job func(context.Context)) {
	ctx, cancel := context.WithCancel(m.jobs)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); job(ctx) }()
	m.onClose(func() error { cancel(); wg.Wait(); return nil })
}

// caseworkNews is the casework node's side of SMS news, opened before the
// cases so that the keys it makes are among the fingerprints published
// for the gateways.
type caseworkNews struct {
	subs   *subscribers.Store
	sealer *outbox.Sealer
	texts  *gateway.SMSTexts
	from   map[string]string
}

// openCaseworkNews opens the subscriber file and the outbox key when the
// config has SMS channels (nil when not).
func (m *Main) openCaseworkNews(cfg *config.Config, kd keystore.Dir, snap *snapshotter, ops *opsEnv) (*caseworkNews, error) {
	from := map[string]string{}
	for _, ch := range cfg.Channels {
		if ch.SMS != nil {
			from[ch.ID] = ch.SMS.From
		}
	}
	if len(from) == 0 {
		return nil, nil
	}
	texts, err := gateway.LoadSMSTexts(smsFS(m.LocalesDir))
	if err != nil {
		return nil, err
	}
	sealer, _, err := outbox.LoadSealer(kd)
	if err != nil {
		return nil, err
	}
	ops.useKeys(outbox.Purpose, sealer.UseKeys)
	subs, err := subscribers.Open(filepath.Join(m.DataDir, subscribersFile), kd)
	if err != nil {
		return nil, err
	}
	m.onClose(subs.Close)
	snap.add(subscribersFile, subs)
	ops.useKeys(subscribers.Purpose, subs.UseKeys)
	return &caseworkNews{subs: subs, sealer: sealer, texts: texts, from: from}, nil
}

// start applies the gateways' subscription changes and queues approved
// broadcasts on the Redis outbox until the server closes.
func (n *caseworkNews) start(m *Main, so scaleOut, cases *casework.Service, catalog func() *menus.Catalog, log *slog.Logger) {
	if n == nil {
		return
	}
	b := &gateway.Broadcaster{Cases: cases, Outbox: scaleout.NewOutbox(so.rdb, so.prefix, n.sealer), Subscribers: n.subs,
		Texts: n.texts, From: n.from, Spelling: func(lang string) *gsm7.Spelling { return catalog().Spelling(lang) },
		Before: m.applySubscriptions(so, n.subs), Log: log}
	m.background(func(ctx context.Context) { b.Run(ctx, broadcastInterval) })
}

// liveCatalog is the studio's current catalogue, or the shipped one.
func liveCatalog(studio *overlay.Store, shipped *menus.Catalog) *menus.Catalog {
	if studio != nil {
		return studio.Catalog()
	}
	return shipped
}
