package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/simulator"
)

// redisHA is a Redis primary with two replicas and three sentinels, all
// real processes from Debian's redis-server and redis-sentinel packages
// on loopback, in a directory of the test's own.
type redisHA struct {
	t         *testing.T
	dir       string
	master    string // the sentinels' name for the primary
	primary   *exec.Cmd
	ports     []string // primary, replica, replica
	sentinels []string // sentinel addresses
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

// freePortNumber is a free loopback TCP port, as a number.
func freePortNumber(t *testing.T) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	return port
}

// startProcess runs a Redis program with its output in dir/name.log,
// killed at the end of the test.
func (h *redisHA) startProcess(name, bin string, args ...string) *exec.Cmd {
	h.t.Helper()
	log, err := os.Create(filepath.Join(h.dir, name+".log"))
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start %s: %v", name, err)
	}
	h.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); log.Close() })
	return cmd
}

func startRedisHA(t *testing.T) *redisHA {
	t.Helper()
	server, sentinel := needTool(t, "redis-server"), needTool(t, "redis-sentinel")
	h := &redisHA{t: t, dir: t.TempDir(), master: "hotline"}
	for range 3 {
		h.ports = append(h.ports, freePortNumber(t))
	}
	for i, port := range h.ports {
		args := []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", h.dir,
			"--dbfilename", "dump-" + port + ".rdb"}
		if i > 0 {
			args = append(args, "--replicaof", "127.0.0.1", h.ports[0])
		}
		cmd := h.startProcess("redis-"+port, server, args...)
		if i == 0 {
			h.primary = cmd
		}
	}
	for i := range 3 {
		port := freePortNumber(t)
		conf := filepath.Join(h.dir, "sentinel-"+port+".conf")
		text := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %s 2\n"+
			"sentinel down-after-milliseconds %[3]s 1000\nsentinel failover-timeout %[3]s 5000\nsentinel parallel-syncs %[3]s 1\n",
			port, h.dir, h.master, h.ports[0])
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		h.startProcess(fmt.Sprintf("sentinel-%d", i), sentinel, conf)
		h.sentinels = append(h.sentinels, "127.0.0.1:"+port)
	}
	h.waitReady()
	return h
}

// waitReady waits until both replicas are in sync and every sentinel
// knows the two replicas and the two other sentinels.
func (h *redisHA) waitReady() {
	h.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := true
		for _, addr := range h.sentinels {
			s := redis.NewSentinelClient(&redis.Options{Addr: addr})
			replicas, err1 := s.Replicas(ctx, h.master).Result()
			others, err2 := s.Sentinels(ctx, h.master).Result()
			s.Close()
			ready = ready && err1 == nil && err2 == nil && len(replicas) == 2 && len(others) == 2
		}
		for _, port := range h.ports[1:] {
			r := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
			info, err := r.Info(ctx, "replication").Result()
			r.Close()
			ready = ready && err == nil && strings.Contains(info, "master_link_status:up")
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("Redis primary, replicas and sentinels not ready in 30 s (logs in %s)", h.dir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// url is the hotline's --redis for these sentinels.
func (h *redisHA) url() string {
	return fmt.Sprintf("redis://%s/0?master_name=%s&addr=%s&addr=%s", h.sentinels[0], h.master, h.sentinels[1], h.sentinels[2])
}

// cutReplicas leaves the primary serving while its replicas cannot follow
// it: the replication links are cut and a password the replicas do not
// have keeps them from reconnecting (connections already open, the
// hotline's and the sentinels', stay signed in). What the primary takes
// from now on is on no replica: a failover would lose it.
func (h *redisHA) cutReplicas() {
	h.t.Helper()
	ctx := context.Background()
	p := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + h.ports[0]})
	defer p.Close()
	if err := p.ConfigSet(ctx, "requirepass", "replicas-cut-off").Err(); err != nil {
		h.t.Fatal(err)
	}
	if err := p.ClientKillByFilter(ctx, "TYPE", "replica").Err(); err != nil {
		h.t.Fatal(err)
	}
}

// currentPrimary asks a sentinel which address is the primary now.
func (h *redisHA) currentPrimary() string {
	s := redis.NewSentinelClient(&redis.Options{Addr: h.sentinels[0]})
	defer s.Close()
	addr, err := s.GetMasterAddrByName(context.Background(), h.master).Result()
	if err != nil || len(addr) != 2 {
		return ""
	}
	return net.JoinHostPort(addr[0], addr[1])
}

// tryComplaint plays one whole USSD complaint, pressing 1 on every screen
// (as the load generator does), and returns the reference shown on the
// end screen, or "" when the session ended without one (the apology).
func tryComplaint(base, phone string) (string, error) {
	u := simulator.USSD{URL: base + "/c/demo-at/ussd", Phone: phone}
	s := u.NewSession()
	input := ""
	for range 20 {
		scr, err := s.Send(context.Background(), input)
		if err != nil {
			return "", err
		}
		if scr.End {
			if m := referenceOnScreen.FindStringSubmatch(scr.Text); m != nil {
				return m[1] + m[2], nil
			}
			return "", nil
		}
		input = "1"
	}
	return "", fmt.Errorf("session did not end in 20 hops")
}

// Redis high availability: gateways on three sentinels, under load while
// the primary, cut off from its replicas, is killed. During the failover
// callers hear the apology, and service resumes by itself on the
// promoted replica. With --redis-wait-replicas 1 every reference that was
// shown is stored in the end (it was on a replica before it was shown).
// With 0, the same scenario loses references: that run checks that the
// scenario really puts shown references at risk, so that the first one
// proves something.
func TestSentinelFailover(t *testing.T) {
	t.Run("wait for a replica: nothing shown is lost", func(t *testing.T) {
		r := failover(t, 1)
		if len(r.missing) > 0 {
			t.Errorf("%d of %d references shown to callers are not stored: %v", len(r.missing), r.shown, r.missing)
		}
	})
	t.Run("no wait: shown references are lost", func(t *testing.T) {
		r := failover(t, 0)
		t.Logf("without WAIT, %d of %d shown references were lost", len(r.missing), r.shown)
		if len(r.missing) == 0 {
			t.Errorf("no reference lost without WAIT: the scenario does not put any at risk, so the run with WAIT proves nothing")
		}
	})
}

type failoverResult struct {
	shown   int
	missing []string
}

// failover runs one gateway with --redis-wait-replicas wait on a fresh
// Redis HA group, kills the primary under load, and only then starts the
// casework node: what the old primary alone held is gone by then, so a
// reference is stored in the end only if a replica held it.
func failover(t *testing.T, wait int) failoverResult {
	h := startRedisHA(t)
	dataDir, keysDir := filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "keys")
	redisArgs := []string{"--redis", h.url(), "--redis-prefix", "nvtest:sentinel:"}
	gw := startServer(t, filepath.Join(t.TempDir(), "gw-data"), keysDir, append(redisArgs,
		"--role", "gateway", "--redis-wait-replicas", strconv.Itoa(wait),
		"--rate-channel", "0")...) // four callers back to back exceed a channel's 2,000 hops/s here
	waitReady(t, gw, 200)
	calls := startCallers(gw.base, 4)
	time.Sleep(2 * time.Second)
	// The worst moment to lose the primary: its replicas have fallen
	// behind. Complaints it takes now must not be shown a reference.
	h.cutReplicas()
	time.Sleep(1500 * time.Millisecond)
	old := h.currentPrimary()
	if err := h.primary.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for now := h.currentPrimary(); now == old || now == ""; now = h.currentPrimary() {
		if time.Now().After(deadline) {
			calls.finish()
			t.Fatalf("sentinels did not promote a replica in 30 s (logs in %s)", h.dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	calls.failedOver.Store(true)
	// Service must resume by itself: keep calling until complaints go
	// through on the new primary again.
	for resumed := time.Now().Add(30 * time.Second); calls.afterFailover.Load() < 10 && time.Now().Before(resumed); {
		time.Sleep(100 * time.Millisecond)
	}
	shown := calls.finish()
	t.Logf("references shown: %d (%d after the failover), apologies: %d, transport errors: %d",
		len(shown), calls.afterFailover.Load(), calls.apologies.Load(), calls.errored.Load())
	if calls.afterFailover.Load() < 10 {
		t.Fatalf("only %d complaints went through after the failover: service did not resume\n%s", calls.afterFailover.Load(), gw.logs)
	}
	if calls.errored.Load() > 0 {
		t.Errorf("%d sessions got no answer at all (a caller must hear the apology); the first: %v", calls.errored.Load(), calls.firstErr.Load())
	}

	startServer(t, dataDir, keysDir, append(redisArgs, "--role", "casework")...)
	return failoverResult{shown: len(shown), missing: notStored(t, dataDir, shown)}
}

// callers are concurrent USSD callers sending complaints until finish.
type callers struct {
	mu                 sync.Mutex
	shown              []string
	afterFailover      atomic.Int64
	apologies, errored atomic.Int64
	firstErr           atomic.Value
	failedOver         atomic.Bool
	stop               atomic.Bool
	wg                 sync.WaitGroup
}

func startCallers(base string, n int) *callers {
	c := &callers{}
	for w := range n {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for i := 0; !c.stop.Load(); i++ {
				c.record(tryComplaint(base, fmt.Sprintf("+2237600%04d", w*2500+i%2500)))
			}
		}()
	}
	return c
}

func (c *callers) record(ref string, err error) {
	switch {
	case err != nil:
		c.errored.Add(1)
		c.firstErr.CompareAndSwap(nil, err.Error())
	case ref == "":
		c.apologies.Add(1)
		time.Sleep(100 * time.Millisecond) // a caller who heard the apology does not redial at once
	default:
		c.mu.Lock()
		c.shown = append(c.shown, ref)
		c.mu.Unlock()
		if c.failedOver.Load() {
			c.afterFailover.Add(1)
		}
	}
}

// finish stops the callers and returns the references they were shown.
func (c *callers) finish() []string {
	c.stop.Store(true)
	c.wg.Wait()
	return c.shown
}

// notStored returns the references of shown that the casework node on
// dataDir has not stored once it has caught up: none missing, or the same
// number missing for 3 s (at most 30 s in all).
func notStored(t *testing.T, dataDir string, shown []string) []string {
	t.Helper()
	var missing []string
	last, since := -1, time.Now()
	for wait := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command(binary, "cases", "list", "--data", dataDir).CombinedOutput()
		if err != nil {
			t.Fatalf("cases list: %v\n%s", err, out)
		}
		missing = missing[:0]
		for _, ref := range shown {
			if !strings.Contains(string(out), ref[:4]+" "+ref[4:]) && !strings.Contains(string(out), ref) {
				missing = append(missing, ref)
			}
		}
		if len(missing) != last {
			last, since = len(missing), time.Now()
		}
		if len(missing) == 0 || time.Since(since) > 3*time.Second || time.Now().After(wait) {
			return missing
		}
	}
}
