package scaleout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/recordings"
)

// Voice messages taken on a gateway replica reach the casework node's
// recordings store through Redis: the gateway seals each message with the
// recording key (recordings.Sealer, the store's own format) before it
// leaves the process, writes it in chunks of ChunkSize (a message may be
// 8 MB; one Redis value that large stalls every other client while it is
// copied) and announces it on a stream; the casework node's
// RecordingConsumer joins the chunks, checks that they open with its keys
// and stores them as they are (recordings.Store.PutSealed). Nothing on a
// gateway or in Redis is ever in clear, and chunks expire after
// RecordingTTL whether or not they were taken.

// ChunkSize is the largest Redis value one voice message is cut into.
const ChunkSize = 256 << 10

// RecordingTTL is how long a sealed message waits in Redis for the
// casework node, and how long a gateway remembers that it was kept.
const RecordingTTL = 24 * time.Hour

func (k keys) recStream() string { return k.prefix + "recordings" }
func (k keys) recChunk(id string, i int) string {
	return k.prefix + "rec:" + id + ":" + strconv.Itoa(i)
}
func (k keys) recKept(id string) string { return k.prefix + "rec:kept:" + id }

// RecordingHandoff is a gateway replica's recordings store
// (gateway.Recordings): Put seals and queues for the casework node.
type RecordingHandoff struct {
	rdb    *redis.Client
	keys   keys
	sealer *recordings.Sealer
}

// NewRecordingHandoff queues on rdb under prefix, sealing with sealer.
func NewRecordingHandoff(rdb *redis.Client, prefix string, sealer *recordings.Sealer) *RecordingHandoff {
	return &RecordingHandoff{rdb: rdb, keys: keys{prefix}, sealer: sealer}
}

// Put seals data for id and queues it in one transaction: the chunks and
// the stream entry are written together or not at all.
func (h *RecordingHandoff) Put(ctx context.Context, id string, data []byte) error {
	if id == "" || len(data) == 0 || len(data) > recordings.MaxSize {
		return errors.New("scaleout: recording: empty id, or recording empty or too large")
	}
	rec := h.sealer.Seal(id, data)
	n := (len(rec) + ChunkSize - 1) / ChunkSize
	_, err := h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			p.Set(ctx, h.keys.recChunk(id, i), rec[i*ChunkSize:min((i+1)*ChunkSize, len(rec))], RecordingTTL)
		}
		p.XAdd(ctx, &redis.XAddArgs{Stream: h.keys.recStream(), Values: []any{"id", id, "chunks", n, "size", len(rec)}})
		return nil
	})
	if err != nil {
		return fmt.Errorf("scaleout: queue recording: %w", err)
	}
	return nil
}

// Has reports whether the message is queued or was stored by casework.
func (h *RecordingHandoff) Has(ctx context.Context, id string) (bool, error) {
	n, err := h.rdb.Exists(ctx, h.keys.recChunk(id, 0), h.keys.recKept(id)).Result()
	if err != nil {
		return false, fmt.Errorf("scaleout: recording: %w", err)
	}
	return n > 0, nil
}

// SealedStore keeps what a gateway sealed (recordings.Store).
type SealedStore interface {
	PutSealed(ctx context.Context, id string, rec []byte) error
}

// RecordingConsumer moves queued voice messages into the casework node's
// recordings store. Run it on the casework node only.
type RecordingConsumer struct {
	rdb   *redis.Client
	keys  keys
	store SealedStore
	name  string
	log   *slog.Logger
	// Block is how long one read waits for new messages.
	Block time.Duration
	// ClaimIdle is how long a message must have been pending with
	// another consumer before this one takes it over.
	ClaimIdle time.Duration
}

// NewRecordingConsumer consumes under prefix into store as consumer name
// (stable across restarts) of the casework group.
func NewRecordingConsumer(rdb *redis.Client, prefix string, store SealedStore, name string, log *slog.Logger) *RecordingConsumer {
	if log == nil {
		log = slog.Default()
	}
	return &RecordingConsumer{rdb: rdb, keys: keys{prefix}, store: store, name: name, log: log, Block: time.Second, ClaimIdle: 30 * time.Second}
}

// Run consumes until ctx ends, pausing (up to 5 s) on Redis or store
// failures. A message is acknowledged only once stored.
func (c *RecordingConsumer) Run(ctx context.Context) {
	streamGroup{rdb: c.rdb, stream: c.keys.recStream(), consumer: c.name, what: "recordings",
		batch: 8, block: c.Block, claimIdle: c.ClaimIdle, log: c.log, handle: c.handle}.run(ctx)
}

// handle takes msgs one by one (each may be 8 MB: no point holding
// several in memory at once).
func (c *RecordingConsumer) handle(ctx context.Context, msgs []redis.XMessage) error {
	for _, m := range msgs {
		if err := c.take(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// take stores one announced message and acknowledges it. One that can
// never be stored (chunks expired, a key the casework node lacks) is
// logged by its entry id and dropped.
func (c *RecordingConsumer) take(ctx context.Context, m redis.XMessage) error {
	id, _ := m.Values["id"].(string)
	chunks, _ := strconv.Atoi(fmt.Sprint(m.Values["chunks"]))
	rec, err := c.fetch(ctx, id, chunks)
	switch {
	case errors.Is(err, errGone):
		c.log.Error("queued voice message cannot be stored; dropped", "entry", m.ID, "reason", err)
	case err != nil:
		return err
	default:
		err = c.store.PutSealed(ctx, id, rec)
		if errors.Is(err, recordings.ErrUnreadable) {
			c.log.Error("queued voice message does not open with this node's recording keys; dropped", "entry", m.ID)
		} else if err != nil {
			return fmt.Errorf("store recording: %w", err)
		}
	}
	_, err = c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, c.keys.recStream(), Group, m.ID)
		p.XDel(ctx, c.keys.recStream(), m.ID)
		for i := range chunks {
			p.Del(ctx, c.keys.recChunk(id, i))
		}
		if id != "" {
			p.Set(ctx, c.keys.recKept(id), "1", RecordingTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("acknowledge recording: %w", err)
	}
	return nil
}

var errGone = errors.New("entry malformed or its chunks expired")

func (c *RecordingConsumer) fetch(ctx context.Context, id string, chunks int) ([]byte, error) {
	if id == "" || chunks <= 0 || chunks > recordings.MaxSize/ChunkSize+1 {
		return nil, errGone
	}
	names := make([]string, chunks)
	for i := range chunks {
		names[i] = c.keys.recChunk(id, i)
	}
	vals, err := c.rdb.MGet(ctx, names...).Result()
	if err != nil {
		return nil, fmt.Errorf("read recording chunks: %w", err)
	}
	var rec []byte
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			return nil, errGone
		}
		rec = append(rec, s...)
	}
	return rec, nil
}
