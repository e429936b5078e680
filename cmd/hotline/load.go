package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/scaleout"
	"github.com/numerovert/hotline/simulator"
)

// bareScreen is what the bare handler answers to every hop: a screen of the
// same size as the hotline's first one, so the baseline measures Fiber,
// HTTP and the load tool, and nothing of the hotline.
const bareScreen = "CON Numéro Vert: plainte anonyme.\nChoisissez votre langue:\n1 Français\n2 English"

// benchBare serves the baseline of the load run: a bare Fiber handler on
// the callback route that returns a constant screen.
func benchBare(ctx context.Context, args []string, stderr io.Writer) error {
	fl := newFlags("bench-bare", stderr)
	addr := fl.String("addr", "127.0.0.1:0", "address to listen on (loopback)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	app := fiber.New(fiber.Config{BodyLimit: 64 << 10, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	app.Post("/c/:channel/ussd", func(c fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString(bareScreen)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log := newLogger(stderr)
	log.Info("bare listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	select {
	case err := <-errc:
		return fmt.Errorf("bare: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return app.ShutdownWithContext(shutdown)
}

// simulateLoad plays concurrent callers. With --url it drives that server;
// without, it starts this binary's `serve` (fresh temporary directories, a
// free loopback port) and `bench-bare` as child processes, loads each in
// turn, and prints both with their ratio and each server's peak RSS.
func simulateLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("simulate load", stderr)
	url := fl.String("url", "", "a running server's USSD callback URL; empty: start the server and the bare baseline here")
	callers := fl.Int("callers", 50, "concurrent callers (connections)")
	sessions := fl.Int("sessions", 2000, "whole complaint sessions to play")
	open := fl.Int("open", 0, "then, on a fresh server, open this many sessions (first hop only) and report its RSS")
	inputs := fl.String("inputs", strings.Join(simulator.DefaultLoadInputs, ","), "inputs after dialling, comma-separated")
	timeout := fl.Duration("timeout", 10*time.Minute, "stop the whole run after this long")
	quiet := fl.Bool("quiet", false, "no progress bar")
	redisURL := fl.String("redis", "", "also load the Redis mode (serve --role all --redis URL) under a fresh key prefix, deleted afterwards")
	if err := fl.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var progress io.Writer = stderr
	if *quiet {
		progress = nil
	}
	opts := simulator.LoadOptions{Callers: *callers, Sessions: *sessions, Inputs: strings.Split(*inputs, ","), Progress: progress}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "run\tcallers\tsessions\terrors\thops\thops/s\tp50\tp99\tpeak RSS\t\n"
	row := func(name string, r simulator.LoadResult, rss string) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", name, opts.Callers, r.Sessions, r.Errors, r.Hops,
			r.HopsPerSecond(), ms(r.Percentile(0.50)), ms(r.Percentile(0.99)), rss)
	}

	if *url != "" {
		opts.URL = *url
		fmt.Fprintf(stderr, "load: %d callers, %d sessions against %s\n", opts.Callers, opts.Sessions, *url)
		r, err := simulator.Load(ctx, opts)
		if err != nil {
			return err
		}
		fmt.Fprint(tw, header)
		row("server", r, "-")
		report(stdout, tw, r)
		return nil
	}

	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	tmp, err := os.MkdirTemp("", "hotline-load-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	// The channel limit is lifted to measure what one box can take; the
	// per-caller limit stays, and each session dials from its own number.
	serveArgs := func(n int) []string {
		dir := fmt.Sprintf("%s/run%d", tmp, n)
		return []string{"serve", "--addr", "127.0.0.1:0", "--data", dir + "/data", "--keys", dir + "/keys", "--rate-channel", "0"}
	}

	fmt.Fprintf(stderr, "load 1/2: hotline serve (embedded bbolt), %d callers, %d sessions\n", opts.Callers, opts.Sessions)
	srv, err := startChild(ctx, self, serveArgs(1), `msg="hotline listening" addr=(\S+)`)
	if err != nil {
		return err
	}
	opts.URL = "http://" + srv.addr + "/c/demo-at/ussd"
	embedded, err := simulator.Load(ctx, opts)
	srvRSS := srv.peakRSS()
	srv.stop()
	if err != nil {
		return err
	}

	fmt.Fprintf(stderr, "load 2/2: bare Fiber handler, %d callers, %d sessions\n", opts.Callers, opts.Sessions)
	bare, err := startChild(ctx, self, []string{"bench-bare"}, `msg="bare listening" addr=(\S+)`)
	if err != nil {
		return err
	}
	opts.URL = "http://" + bare.addr + "/c/demo-at/ussd"
	base, err := simulator.Load(ctx, opts)
	bareRSS := bare.peakRSS()
	bare.stop()
	if err != nil {
		return err
	}

	var onRedis *simulator.LoadResult
	redisRSS := 0
	if *redisURL != "" {
		fmt.Fprintf(stderr, "load 3/3: hotline serve on Redis (role all), %d callers, %d sessions\n", opts.Callers, opts.Sessions)
		r, rss, err := loadOnRedis(ctx, self, *redisURL, serveArgs(3), opts)
		if err != nil {
			return err
		}
		onRedis, redisRSS = &r, rss
	}

	fmt.Fprint(tw, header)
	row("hotline (embedded)", embedded, mb(srvRSS))
	if onRedis != nil {
		row("hotline (Redis)", *onRedis, mb(redisRSS))
	}
	row("bare Fiber", base, mb(bareRSS))
	tw.Flush()
	if bh := base.HopsPerSecond(); bh > 0 {
		fmt.Fprintf(stdout, "\nhop rate, hotline / bare: %.2f (goal ≥ 0.50)\n", embedded.HopsPerSecond()/bh)
		if onRedis != nil {
			fmt.Fprintf(stdout, "hop rate, hotline on Redis / bare: %.2f\n", onRedis.HopsPerSecond()/bh)
		}
	}
	fmt.Fprintf(stdout, "p99 hop latency at %d connections: %s (goal ≤ 10 ms)\n", opts.Callers, ms(embedded.Percentile(0.99)))
	fmt.Fprintf(stdout, "durable submissions/s end to end: %.0f (%d references shown in %s)\n",
		float64(len(embedded.References))/embedded.Elapsed.Seconds(), len(embedded.References), embedded.Elapsed.Round(time.Millisecond))
	if embedded.FirstError != "" {
		fmt.Fprintf(stdout, "first error (hotline): %s\n", embedded.FirstError)
	}
	if base.FirstError != "" {
		fmt.Fprintf(stdout, "first error (bare): %s\n", base.FirstError)
	}

	if *open > 0 {
		fmt.Fprintf(stderr, "open sessions: %d first hops on a fresh server, %d callers\n", *open, opts.Callers)
		srv, err := startChild(ctx, self, serveArgs(2), `msg="hotline listening" addr=(\S+)`)
		if err != nil {
			return err
		}
		idle := srv.rss()
		o := opts
		o.URL, o.Sessions, o.FirstHopOnly = "http://"+srv.addr+"/c/demo-at/ussd", *open, true
		r, err := simulator.Load(ctx, o)
		held := srv.rss()
		peak := srv.peakRSS()
		count := openSessions(ctx, "http://"+srv.addr+"/metrics")
		srv.stop()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nopen sessions: %d first hops (%d errors), server holds %s sessions: RSS %s idle, %s held, %s peak (goal ≤ 300 MB at 100000)\n",
			r.Sessions, r.Errors, count, mb(idle), mb(held), mb(peak))
	}
	return nil
}

func report(stdout io.Writer, tw *tabwriter.Writer, r simulator.LoadResult) {
	tw.Flush()
	fmt.Fprintf(stdout, "references shown: %d in %s\n", len(r.References), r.Elapsed.Round(time.Millisecond))
	if r.FirstError != "" {
		fmt.Fprintf(stdout, "first error: %s\n", r.FirstError)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func mb(kb int) string {
	if kb <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f MB", float64(kb)/1024)
}

// openSessions reads hotline_open_sessions from the server's metrics.
func openSessions(ctx context.Context, url string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "?"
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "hotline_open_sessions "); ok {
			return v
		}
	}
	return "?"
}

// child is a server process started by the load run.
type child struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

// startChild runs self with args and waits for a log line matching ready,
// whose first group is the address it listens on. Its logs are drained
// and dropped: the load run reports numbers, not requests.
func startChild(ctx context.Context, self string, args []string, ready string) (*child, error) {
	re := regexp.MustCompile(ready)
	cmd := exec.Command(self, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", args[0], err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", args[0], err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
		c.done <- cmd.Wait()
	}()
	select {
	case c.addr = <-addr:
		return c, nil
	case err := <-c.done:
		return nil, fmt.Errorf("%s exited before listening: %v", args[0], err)
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("%s did not start listening", args[0])
}

// stop asks the child to finish (SIGTERM) and waits for it.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// peakRSS is the child's peak resident set (VmHWM) in kB, 0 if unknown.
func (c *child) peakRSS() int { return procStatus(c.cmd.Process.Pid, "VmHWM:") }

// rss is the child's current resident set (VmRSS) in kB, 0 if unknown.
func (c *child) rss() int { return procStatus(c.cmd.Process.Pid, "VmRSS:") }

func procStatus(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				return 0
			}
			return n
		}
	}
	return 0
}

// loadOnRedis runs the load against `serve --role all --redis url` under a
// fresh key prefix, and deletes every key under it afterwards.
func loadOnRedis(ctx context.Context, self, url string, serveArgs []string, opts simulator.LoadOptions) (simulator.LoadResult, int, error) {
	rdb, err := scaleout.Dial(url)
	if err != nil {
		return simulator.LoadResult{}, 0, err
	}
	defer rdb.Close()
	prefix := fmt.Sprintf("nvload:%d:", time.Now().UnixNano())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	}()
	args := append(serveArgs, "--redis", url, "--redis-prefix", prefix)
	srv, err := startChild(ctx, self, args, `msg="hotline listening" addr=(\S+)`)
	if err != nil {
		return simulator.LoadResult{}, 0, err
	}
	defer srv.stop()
	opts.URL = "http://" + srv.addr + "/c/demo-at/ussd"
	r, err := simulator.Load(ctx, opts)
	return r, srv.peakRSS(), err
}
