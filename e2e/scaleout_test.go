package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/simulator"
)

// cluster is N gateway replicas and one casework node sharing one Redis
// key prefix (their own, removed after the test) and one keys directory.
type cluster struct {
	t        *testing.T
	rdb      *redis.Client
	prefix   string
	dataDir  string
	keysDir  string
	casework *server
	gateways []*server
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	rdb := redistest.Client(t)
	return &cluster{
		t: t, rdb: rdb, prefix: redistest.Prefix(t, rdb),
		dataDir: filepath.Join(t.TempDir(), "data"),
		keysDir: filepath.Join(t.TempDir(), "keys"),
	}
}

func (c *cluster) startCasework(extra ...string) {
	c.t.Helper()
	c.casework = startServer(c.t, c.dataDir, c.keysDir,
		append([]string{"--role", "casework", "--redis", redistest.URL(), "--redis-prefix", c.prefix}, extra...)...)
}

// startGateway starts one more replica on redisURL (the real Redis when "").
func (c *cluster) startGateway(redisURL string, extra ...string) *server {
	c.t.Helper()
	if redisURL == "" {
		redisURL = redistest.URL()
	}
	// Gateways keep no data: their --data directory must stay empty.
	g := startServer(c.t, filepath.Join(c.t.TempDir(), "gw-data"), c.keysDir,
		append([]string{"--role", "gateway", "--redis", redisURL, "--redis-prefix", c.prefix}, extra...)...)
	c.gateways = append(c.gateways, g)
	return g
}

// status reads a reference's public status from the Redis mirror.
func (c *cluster) status(ref string) string {
	return c.rdb.HGet(context.Background(), c.prefix+"case:"+ref, "status").Val()
}

// waitStatus waits until every reference has the public status want.
func (c *cluster) waitStatus(want string, refs ...string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, ref := range refs {
		for c.status(ref) != want {
			if time.Now().After(deadline) {
				c.t.Fatalf("reference %s: public status %q, want %q", ref, c.status(ref), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// roundRobin sends each request to the next replica in turn, as a load
// balancer without session affinity would, and counts hops per replica.
type roundRobin struct {
	hosts []string
	next  atomic.Int64
	hits  []atomic.Int64
}

func newRoundRobin(gateways []*server) *roundRobin {
	rr := &roundRobin{hits: make([]atomic.Int64, len(gateways))}
	for _, g := range gateways {
		u, _ := url.Parse(g.base)
		rr.hosts = append(rr.hosts, u.Host)
	}
	return rr
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	i := int(rr.next.Add(1)-1) % len(rr.hosts)
	rr.hits[i].Add(1)
	req = req.Clone(req.Context())
	req.URL.Host, req.Host = rr.hosts[i], rr.hosts[i]
	return http.DefaultTransport.RoundTrip(req)
}

// dialVia starts a caller whose hops go through client.
func dialVia(t *testing.T, base, phone, next string, client *http.Client) *caller {
	t.Helper()
	u := simulator.USSD{URL: base + "/c/demo-at/ussd", Phone: phone, Client: client}
	c := &caller{t: t, s: u.NewSession(), next: next}
	c.send("")
	return c
}

// complainFR walks a whole complaint in French and returns its reference.
func complainFR(c *caller, detail string) string {
	if _, ok := c.screen.Key("Francais"); ok {
		c.choose("Francais")
	}
	c.complaint()
	c.choose("Pas sur la liste")
	c.choose("Mopti")
	c.choose("Tenenkou")
	c.choose("Ténenkou") // the commune
	c.choose("Nourriture")
	if detail == "" {
		c.choose("Passer")
	} else {
		c.send(detail)
	}
	c.choose("Envoyer")
	return c.reference()
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func waitReady(t *testing.T, s *server, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for getStatus(t, s.url("/readyz")) != want {
		if time.Now().After(deadline) {
			t.Fatalf("readyz did not become %d:\n%s", want, s.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Three gateway replicas behind a round-robin balancer: every session has
// its hops served by different replicas, and completes into one case per
// complaint, under the reference the caller was shown.
func TestScaleOutRoundRobin(t *testing.T) {
	cl := newCluster(t)
	cl.startCasework()
	for range 3 {
		cl.startGateway("")
	}
	rr := newRoundRobin(cl.gateways)
	client := &http.Client{Transport: rr, Timeout: 10 * time.Second}

	const callers = 6
	refs, pins := make([]string, callers), make([]string, callers)
	details := make([]string, callers)
	var wg sync.WaitGroup
	for i := range callers {
		details[i] = fmt.Sprintf("Mon nom manque %d", i)
		wg.Go(func() {
			c := dialVia(t, cl.gateways[0].base, fmt.Sprintf("+2237600001%d", i), "Suivant", client)
			refs[i] = complainFR(c, details[i])
			if m := pinOnScreen.FindStringSubmatch(c.screen.Text); m != nil {
				pins[i] = m[1]
			} else {
				t.Errorf("a replica showed no PIN:\n%s", c.screen.Text)
			}
			// AT retries the confirmation; the balancer sends it elsewhere.
			again, err := c.s.Resend(context.Background())
			if err != nil || again != c.screen {
				t.Errorf("retried confirmation gave %+v, %v; want %+v", again, err, c.screen)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i := range rr.hits {
		if n := rr.hits[i].Load(); n < callers {
			t.Errorf("replica %d served %d hops: the balancer did not spread sessions", i, n)
		}
	}
	cl.waitStatus(string(casework.StatusNew), refs...)

	// Follow-up on the replicas, hops spread over all of them: the
	// reference and the PIN shown by one replica answer on any, from any
	// phone; a wrong PIN gets the neutral answer, the caller's own phone
	// included (the phone alone is never enough).
	follow := func(phone, pin string) string {
		f := dialVia(t, cl.gateways[0].base, phone, "Suivant", client)
		if _, ok := f.screen.Key("Francais"); ok {
			f.choose("Francais")
		}
		f.choose("Suivre ma plainte")
		f.send(refs[0])
		f.send(pin)
		return f.screen.Text
	}
	spaced := refs[0][:4] + " " + refs[0][4:]
	if got := follow("+22376000099", pins[0]); !strings.Contains(got, spaced) || !strings.Contains(got, "en attente") {
		t.Errorf("follow-up on the replicas with reference and PIN, another phone: %q", got)
	}
	wrong := "0000"
	if pins[0] == wrong {
		wrong = "1111"
	}
	if got := follow("+22376000010", wrong); strings.Contains(got, spaced) || !strings.Contains(got, "Nous ne trouvons rien") {
		t.Errorf("follow-up on a replica with a wrong PIN, own phone: %q", got)
	}
	cl.casework.stop(t)
	stored := map[string]casework.Case{}
	for _, c := range cases(t, cl.dataDir) {
		stored[c.Reference] = c
	}
	if len(stored) != callers {
		t.Fatalf("stored %d cases, want %d", len(stored), callers)
	}
	for i, ref := range refs {
		c, ok := stored[ref]
		if !ok {
			t.Fatalf("reference %s shown to caller %d is not stored", ref, i)
		}
		if c.Detail != details[i] || c.Cercle != "ML0507" || c.Language != "fr" || !strings.HasPrefix(c.CallerKey, "k1:") {
			t.Errorf("case %s = %+v", ref, c)
		}
	}

	// Privacy: no form of a number in any Redis key or value left, nor in
	// any log; gateways wrote nothing to disk.
	forms := []string{"2237600001", "7600001", "Mon nom"}
	keys, err := redistest.Keys(context.Background(), cl.rdb, cl.prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if found := containsAny([]byte(k), append(forms, "demo-at", "ATUid", "k1:")...); len(found) > 0 {
			t.Errorf("Redis key %q holds %v", k, found)
		}
		dump := fmt.Sprint(cl.rdb.HGetAll(context.Background(), k).Val(), cl.rdb.Get(context.Background(), k).Val())
		if found := containsAny([]byte(dump), forms[:2]...); len(found) > 0 {
			t.Errorf("Redis value of %q holds %v", k, found)
		}
	}
	for _, s := range append(cl.gateways, cl.casework) {
		if found := containsAny([]byte(s.logs.String()), append(forms, "ATUid_")...); len(found) > 0 {
			t.Errorf("logs contain %v:\n%s", found, s.logs)
		}
		if _, err := os.Stat(s.DataDir); s != cl.casework && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("gateway created its data directory %s (%v): it must keep nothing", s.DataDir, err)
		}
	}
}

// While the casework node is down, gateways keep taking complaints and
// giving references; when it comes back it stores them all.
func TestScaleOutCaseworkDown(t *testing.T) {
	cl := newCluster(t)
	cl.startCasework()
	gw := cl.startGateway("")
	first := complainFR(dialVia(t, gw.base, "+22376000021", "Suivant", nil), "")
	cl.waitStatus(string(casework.StatusNew), first)

	cl.casework.stop(t)
	var refs []string
	for i := range 3 {
		refs = append(refs, complainFR(dialVia(t, gw.base, fmt.Sprintf("+2237600003%d", i), "Suivant", nil), ""))
	}
	if code := getStatus(t, gw.url("/readyz")); code != http.StatusOK {
		t.Errorf("gateway readyz with casework down = %d, want 200", code)
	}
	for _, ref := range refs {
		if st := cl.status(ref); st != "received" {
			t.Errorf("reference %s: public status %q while casework is down, want received", ref, st)
		}
	}

	cl.startCasework()
	cl.waitStatus(string(casework.StatusNew), refs...)
	cl.casework.stop(t)
	got := map[string]bool{}
	for _, c := range cases(t, cl.dataDir) {
		got[c.Reference] = true
	}
	for _, ref := range append(refs, first) {
		if !got[ref] {
			t.Errorf("reference %s is not stored after casework caught up", ref)
		}
	}
	if len(got) != 4 {
		t.Errorf("%d cases stored, want 4", len(got))
	}
	if n := cl.rdb.XLen(context.Background(), cl.prefix+"intake").Val(); n != 0 {
		t.Errorf("%d entries left in the stream", n)
	}
}

// A gateway that loses Redis apologises in the caller's language, says
// not ready, writes nothing, and resumes by itself when Redis returns.
func TestScaleOutRedisOutage(t *testing.T) {
	cl := newCluster(t)
	cl.startCasework()
	u, err := url.Parse(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.addr
	gw := cl.startGateway(u.String())
	waitReady(t, gw, http.StatusOK)

	c := dialVia(t, gw.base, "+22376000041", "Suivant", nil)
	c.choose("Francais")
	c.complaint()
	c.choose("Pas sur la liste")
	keysBefore, _ := redistest.Keys(context.Background(), cl.rdb, cl.prefix)

	proxy.stop()
	waitReady(t, gw, http.StatusServiceUnavailable)
	c.choose("Mopti")
	if !c.screen.End || !strings.Contains(c.screen.Text, "Rappelez plus tard") {
		t.Fatalf("hop with Redis down gave:\n%+v\nwant the French apology", c.screen)
	}
	en := dialVia(t, gw.base, "+22376000042", "Next", nil)
	if !en.screen.End || en.screen.Status != http.StatusOK {
		t.Fatalf("new session with Redis down gave %+v", en.screen)
	}
	keysAfter, _ := redistest.Keys(context.Background(), cl.rdb, cl.prefix)
	if len(keysAfter) != len(keysBefore) {
		t.Errorf("Redis keys changed during the outage: %d before, %d after", len(keysBefore), len(keysAfter))
	}

	proxy.start()
	waitReady(t, gw, http.StatusOK)
	// The same caller redials: their unfinished report from before the
	// outage is offered back; they start again.
	again := dialVia(t, gw.base, "+22376000041", "Suivant", nil)
	again.choose("Recommencer")
	ref := complainFR(again, "")
	cl.waitStatus(string(casework.StatusNew), ref)
	cl.casework.stop(t)
	if list := cases(t, cl.dataDir); len(list) != 1 || list[0].Reference != ref {
		t.Fatalf("stored %+v, want exactly the complaint made after recovery (%s)", list, ref)
	}
	if found := containsAny([]byte(gw.logs.String()), "22376000041", "76000041"); len(found) > 0 {
		t.Errorf("gateway log contains %v", found)
	}
}

// tcpProxy forwards TCP to a target; stop closes the listener and every
// connection (Redis gone), start listens again on the same address.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			if !p.track(in, out) {
				return
			}
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

func (p *tcpProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// A gateway whose keys directory is not the casework node's is refused
// before it serves: its PINs could never be checked, and its caller keys
// would match nothing.
func TestScaleOutGatewayWithOtherKeysRefused(t *testing.T) {
	cl := newCluster(t)
	cl.startCasework()
	waitReady(t, cl.casework, 200)
	cmd := exec.Command(binary, "serve", "--role", "gateway", "--addr", "127.0.0.1:0",
		"--redis", redistest.URL(), "--redis-prefix", cl.prefix,
		"--data", filepath.Join(t.TempDir(), "gw-data"), "--keys", filepath.Join(t.TempDir(), "other-keys"), "--init-keys")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("a gateway with another keys directory started serving:\n%s", out)
	}
	if err == nil || !strings.Contains(string(out), "differs from the casework node's") || !strings.Contains(string(out), "pin-k1") {
		t.Errorf("exit %v, output:\n%s\nwant a refusal naming pin-k1", err, out)
	}
}

// TestScaleOutLanguageRememberedAcrossGateways: a caller who asks one replica
// to remember their language is greeted in it by another replica on the next
// call, and nothing in Redis holds their number.
func TestScaleOutLanguageRememberedAcrossGateways(t *testing.T) {
	const phone = "+22376000031"
	cl := newCluster(t)
	cl.startCasework()
	a, b := cl.startGateway(""), cl.startGateway("")

	first := dialVia(t, a.base, phone, "Ɲɛfɛta", http.DefaultClient)
	first.pick("Bamanankan")
	first.complaint()
	first.pick("Ɲininkali")
	first.pick("Wɛrɛ/n t'a dɔn")
	first.pick("Wari")
	first.pick("Tɛmɛ")
	first.pick("A ci, n ka kan mara") // send, and remember my language
	first.reference()

	back := dialVia(t, b.base, phone, "Ɲɛfɛta", http.DefaultClient)
	if !strings.Contains(back.screen.Text, "I b'a f") || strings.Contains(back.screen.Text, "Bamanankan") {
		t.Fatalf("returning caller's first screen on the other replica:\n%s", back.screen.Text)
	}
	// Another phone still starts at the language screen.
	other := dialVia(t, b.base, "+22376000032", "Suivant", http.DefaultClient)
	if !strings.Contains(other.screen.Text, "Bamanankan") {
		t.Fatalf("a phone that asked nothing was not asked its language:\n%s", other.screen.Text)
	}
	keys, err := redistest.Keys(context.Background(), cl.rdb, cl.prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		dump := fmt.Sprint(cl.rdb.HGetAll(context.Background(), k).Val(), cl.rdb.Get(context.Background(), k).Val())
		if found := containsAny([]byte(k+dump), "2237600003", "7600003"); len(found) > 0 {
			t.Errorf("Redis %q holds %v", k, found)
		}
	}
}
