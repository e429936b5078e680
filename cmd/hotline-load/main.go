// Command hotline-load is the hotline's load generator, a development tool
// kept out of the operator's binary. Without --url it starts `hotline serve`
// (fresh temporary data and keys, a free loopback port) and a bare Fiber
// handler (its own `bare` subcommand) as child processes, plays the same
// callers against each, and prints every figure of the performance goals
// (docs/performance.md) against its goal, with the load average.
//
// It only ever dials the +223 7600xxxx example range, and only loopback
// servers it started, unless --url names the operator's own.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/internal/fiberserve"
	"github.com/numerovert/hotline/scaleout"
	"github.com/numerovert/hotline/simulator"
)

// bareScreen is what the bare handler answers to every hop: a screen of the
// same size as the hotline's first one, so the baseline measures Fiber,
// HTTP and the load tool, and nothing of the hotline.
const bareScreen = "CON Numéro Vert: plainte anonyme.\nChoisissez votre langue:\n1 Français\n2 English"

// serveBare serves the baseline of the load run: a bare Fiber handler on
// the callback route that returns a constant screen.
func serveBare(ctx context.Context, args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("bare", flag.ContinueOnError)
	fl.SetOutput(stderr)
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
	slog.New(slog.NewTextHandler(stderr, nil)).Info("bare listening", "addr", ln.Addr().String())
	return fiberserve.Serve(ctx, app, ln, 5*time.Second)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		err = serveBare(ctx, os.Args[2:], os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "hotline-load:", err)
		os.Exit(1)
	}
}

// loadRun is one measured run of one server.
type loadRun struct {
	name    string
	callers int
	res     LoadResult
	rss     int // peak, kB
	// cpu is the server process's CPU time (user + system) over the run,
	// 0 if unknown. Per hop it is the server's own cost, which the other
	// load on a shared machine moves far less than the rates.
	cpu time.Duration
	// redisCPU is the Redis server's CPU time over the run (INFO cpu), in
	// the Redis mode on a local Redis.
	redisCPU time.Duration
	load     float64 // 1-minute load average at the end of the run
}

// run loads the servers and prints the goals. With --url it loads that
// server alone.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("hotline-load", flag.ContinueOnError)
	fl.SetOutput(stderr)
	hotline := fl.String("hotline", defaultHotline(), "the hotline binary whose `serve` is loaded")
	url := fl.String("url", "", "a running server's USSD callback URL; empty: start the servers here")
	callersList := fl.String("callers", "50,200", "concurrent callers (connections), comma-separated: one run of each server per value")
	sessions := fl.Int("sessions", 2000, "whole complaint sessions per run")
	lone := fl.Int("lone", 100, "then, on a fresh server, this many sessions of one caller alone, for the submission hop (0: skip)")
	open := fl.Int("open", 0, "then, on a fresh server, open this many sessions (first hop only) and report its RSS")
	inputs := fl.String("inputs", strings.Join(simulator.DefaultLoadInputs, ","), "inputs after dialling, comma-separated")
	timeout := fl.Duration("timeout", 10*time.Minute, "stop the whole run after this long")
	quiet := fl.Bool("quiet", false, "no progress bar")
	redisURL := fl.String("redis", "", "also load the Redis mode (serve --role all --redis URL) under a fresh key prefix, deleted afterwards")
	gateways := fl.Int("gateways", 0, "with --redis, also load this many `--role gateway` processes and one casework node, hops spread over the gateways in turn")
	cpuProfile := fl.String("cpuprofile", "", "write the CPU profile of the embedded server's first run to this file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	var callers []int
	for _, v := range strings.Split(*callersList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return fmt.Errorf("--callers: %q is not a positive number", v)
		}
		callers = append(callers, n)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var progress io.Writer = stderr
	if *quiet {
		progress = nil
	}
	opts := LoadOptions{Sessions: *sessions, Inputs: strings.Split(*inputs, ","), Progress: progress}

	if *url != "" {
		opts.URL, opts.Callers = *url, callers[0]
		fmt.Fprintf(stderr, "load: %d callers, %d sessions against %s\n", opts.Callers, opts.Sessions, *url)
		r, err := Load(ctx, opts)
		if err != nil {
			return err
		}
		printRuns(stdout, []loadRun{{name: "server", callers: opts.Callers, res: r, load: loadAverage()}})
		return nil
	}

	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	if _, err := os.Stat(*hotline); err != nil {
		return fmt.Errorf("--hotline: %w (build it with `make build`)", err)
	}
	tmp, err := os.MkdirTemp("", "hotline-load-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	// The channel limit is lifted to measure what one box can take; the
	// per-caller limit stays, and each session dials from its own number.
	n := 0
	initKeys := servesFlag(ctx, *hotline, "init-keys")
	serveArgs := func() []string {
		n++
		return freshServe(fmt.Sprintf("%s/run%d", tmp, n), initKeys)
	}
	const listening = `msg="hotline listening" addr=(\S+)`
	loadChild := func(name string, c int, bin string, args []string, ready string) (loadRun, error) {
		fmt.Fprintf(stderr, "load: %s, %d callers, %d sessions\n", name, c, opts.Sessions)
		srv, err := startChild(ctx, bin, args, ready)
		if err != nil {
			return loadRun{}, err
		}
		o := opts
		o.URL, o.Callers = "http://"+srv.addr+"/c/demo-at/ussd", c
		cpu0 := srv.cpu()
		r, err := Load(ctx, o)
		rss, cpu := srv.peakRSS(), srv.cpu()-cpu0
		srv.stop()
		return loadRun{name: name, callers: c, res: r, rss: rss, cpu: cpu, load: loadAverage()}, err
	}

	var runs []loadRun
	for i, c := range callers {
		args := serveArgs()
		if i == 0 && *cpuProfile != "" {
			args = append(args, "--cpuprofile", *cpuProfile)
		}
		r, err := loadChild("hotline (embedded)", c, *hotline, args, listening)
		if err != nil {
			return err
		}
		runs = append(runs, r)
		if *redisURL != "" {
			fmt.Fprintf(stderr, "load: hotline on Redis (role all), %d callers, %d sessions\n", c, opts.Sessions)
			o := opts
			o.Callers = c
			r, err := loadOnRedis(ctx, *hotline, *redisURL, serveArgs(), o)
			if err != nil {
				return err
			}
			r.name, r.callers, r.load = "hotline (Redis)", c, loadAverage()
			runs = append(runs, r)
			if *gateways > 0 {
				fmt.Fprintf(stderr, "load: %d gateways + casework on Redis, %d callers, %d sessions\n", *gateways, c, opts.Sessions)
				n++
				res, err := loadOnGateways(ctx, *hotline, *redisURL, fmt.Sprintf("%s/run%d", tmp, n), initKeys, *gateways, o)
				if err != nil {
					return err
				}
				runs = append(runs, loadRun{name: fmt.Sprintf("hotline (%d gateways)", *gateways), callers: c, res: res, load: loadAverage()})
			}
		}
		r, err = loadChild("bare Fiber", c, self, []string{"bare"}, `msg="bare listening" addr=(\S+)`)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	printRuns(stdout, runs)

	g := goals{runs: runs}
	if *lone > 0 {
		o := opts
		o.Sessions, o.Progress = *lone, nil
		dir := fmt.Sprintf("%s/lone", tmp)
		args := freshServe(dir, initKeys)
		fmt.Fprintf(stderr, "load: one caller alone, %d sessions\n", o.Sessions)
		srv, err := startChild(ctx, *hotline, args, listening)
		if err != nil {
			return err
		}
		o.URL, o.Callers = "http://"+srv.addr+"/c/demo-at/ussd", 1
		r, err := Load(ctx, o)
		srv.stop()
		if err != nil {
			return err
		}
		g.lone, g.loneLoad = &r, loadAverage()
		g.fsync = fdatasyncMedian(dir, 50)
	}
	if *open > 0 {
		fmt.Fprintf(stderr, "open sessions: %d first hops on a fresh server, %d callers\n", *open, callers[0])
		srv, err := startChild(ctx, *hotline, serveArgs(), listening)
		if err != nil {
			return err
		}
		idle := srv.rss()
		o := opts
		o.URL, o.Callers, o.Sessions, o.FirstHopOnly = "http://"+srv.addr+"/c/demo-at/ussd", callers[0], *open, true
		r, err := Load(ctx, o)
		held, peak := srv.rss(), srv.peakRSS()
		count := openSessions(ctx, "http://"+srv.addr+"/metrics")
		srv.stop()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nopen sessions: %d first hops (%d errors), server holds %s sessions: RSS %s idle, %s held, %s peak\n",
			r.Sessions, r.Errors, count, mb(idle), mb(held), mb(peak))
		g.open, g.openPeak, g.openLoad = *open, peak, loadAverage()
	}
	fmt.Fprintln(stdout)
	g.print(stdout)
	return nil
}

// freshServe is the `serve` command line on fresh data and keys under dir.
// The channel limit is lifted; the per-caller limit stays.
func freshServe(dir string, initKeys bool) []string {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dir + "/data", "--keys", dir + "/keys", "--rate-channel", "0"}
	if initKeys {
		args = append(args, "--init-keys")
	}
	return args
}

// servesFlag reports whether the hotline binary's serve knows --name, so
// that a binary from before the flag existed can still be measured.
func servesFlag(ctx context.Context, hotline, name string) bool {
	out, _ := exec.CommandContext(ctx, hotline, "serve", "-h").CombinedOutput()
	return strings.Contains(string(out), "-"+name)
}

// defaultHotline is the hotline binary beside this one, else bin/hotline.
func defaultHotline() string {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "hotline")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "bin/hotline"
}

func printRuns(stdout io.Writer, runs []loadRun) {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "run\tcallers\tsessions\terrors\tsessions/s\thops\thops/s\tp50\tp99\tCPU/hop\tpeak RSS\tload avg\t\n")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%d\t%.0f\t%s\t%s\t%s\t%s\t%.1f\t\n", r.name, r.callers, r.res.Sessions, r.res.Errors,
			r.res.SessionsPerSecond(), r.res.Hops, r.res.HopsPerSecond(), ms(r.res.Percentile(0.50)), ms(r.res.Percentile(0.99)),
			perHop(r.cpu, r.redisCPU, r.res.Hops), mb(r.rss), r.load)
	}
	tw.Flush()
	for _, r := range runs {
		if r.res.FirstError != "" {
			fmt.Fprintf(stdout, "first error (%s, %d callers): %s\n", r.name, r.callers, r.res.FirstError)
		}
	}
}

// goals holds what is judged against the goals of docs/performance.md.
type goals struct {
	runs     []loadRun
	lone     *LoadResult
	loneLoad float64
	fsync    time.Duration
	open     int
	openPeak int // kB
	openLoad float64
}

// find returns the run of name with c callers, else the first run of name,
// so that a custom --callers still prints its figures.
func (g goals) find(name string, c int) (loadRun, bool) {
	var best loadRun
	found := false
	for _, r := range g.runs {
		if r.name != name {
			continue
		}
		if r.callers == c {
			return r, true
		}
		if !found {
			best, found = r, true
		}
	}
	return best, found
}

func (g goals) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "goal\tmeasured\tgoal\tverdict\tload avg\n")
	line := func(what, measured, goal string, met bool, load float64) {
		verdict := "missed"
		if met {
			verdict = "met"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\n", what, measured, goal, verdict, load)
	}
	emb, okE := g.find("hotline (embedded)", 50)
	bare, okB := g.find("bare Fiber", emb.callers)
	if okE && okB && bare.res.HopsPerSecond() > 0 {
		ratio := emb.res.HopsPerSecond() / bare.res.HopsPerSecond()
		line(fmt.Sprintf("whole sessions, hop rate / bare Fiber (%d callers)", emb.callers), fmt.Sprintf("%.2f", ratio), "≥ 0.60", ratio >= 0.6, emb.load)
		p := float64(emb.res.Percentile(0.99)) / float64(max(bare.res.Percentile(0.99), 1))
		line(fmt.Sprintf("p99 hop latency / bare Fiber's p99 (%d callers)", emb.callers),
			fmt.Sprintf("%.1f× (%s / %s)", p, ms(emb.res.Percentile(0.99)), ms(bare.res.Percentile(0.99))), "≤ 3×", p <= 3, emb.load)
	}
	if g.lone != nil {
		med := g.lone.SubmitPercentile(0.5)
		line(fmt.Sprintf("one caller alone: submission hop, median (p99 %s; fdatasync median %s)", ms(g.lone.SubmitPercentile(0.99)), ms(g.fsync)),
			ms(med), "≤ 2 ms", med > 0 && med <= 2*time.Millisecond, g.loneLoad)
	}
	if emb200, ok := g.find("hotline (embedded)", 200); ok {
		v := emb200.res.SubmitsPerSecond()
		line(fmt.Sprintf("durable submissions/s end to end (%d callers)", emb200.callers), fmt.Sprintf("%.0f", v), "≥ 2000", v >= 2000, emb200.load)
	}
	if red, ok := g.find("hotline (Redis)", 50); ok {
		if b, ok := g.find("bare Fiber", red.callers); ok && b.res.HopsPerSecond() > 0 {
			ratio := red.res.HopsPerSecond() / b.res.HopsPerSecond()
			line(fmt.Sprintf("Redis mode, hop rate / bare Fiber (%d callers)", red.callers), fmt.Sprintf("%.2f", ratio), "≥ 0.35", ratio >= 0.35, red.load)
		}
	}
	if g.open > 0 {
		line(fmt.Sprintf("%d open sessions, peak RSS", g.open), mb(g.openPeak), "≤ 150 MB at 100000",
			g.open >= 100_000 && g.openPeak > 0 && g.openPeak <= 150*1024, g.openLoad)
	}
	tw.Flush()
	// The servers' own CPU per hop: what the rates above come from, and the
	// figure a busy machine disturbs least.
	var costs []string
	for _, name := range []string{"hotline (embedded)", "hotline (Redis)", "bare Fiber"} {
		if r, ok := g.find(name, 50); ok && r.cpu > 0 {
			costs = append(costs, fmt.Sprintf("%s %s", name, perHop(r.cpu, r.redisCPU, r.res.Hops)))
		}
	}
	if len(costs) > 1 {
		fmt.Fprintf(w, "\nserver CPU per hop (Redis mode: + Redis's own): %s\n", strings.Join(costs, ", "))
	}
}

// loadAverage is the machine's 1-minute load average, -1 if unknown: on a
// shared machine every figure needs it beside it.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if err != nil {
		return -1
	}
	return f
}

// fdatasyncMedian is the median time of n fdatasyncs of a small write in
// dir: what one durable commit costs on this disk at least.
func fdatasyncMedian(dir string, n int) time.Duration {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0
	}
	f, err := os.CreateTemp(dir, "fsync-")
	if err != nil {
		return 0
	}
	defer os.Remove(f.Name())
	defer f.Close()
	took := make([]time.Duration, 0, n)
	for i := range n {
		if _, err := f.WriteAt([]byte{byte(i)}, int64(i)*4096); err != nil {
			return 0
		}
		t0 := time.Now()
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0
		}
		took = append(took, time.Since(t0))
	}
	slices.Sort(took)
	return took[len(took)/2]
}

// perHop is the server's CPU per hop in µs ("+ N" for Redis's own), "?"
// when unknown.
func perHop(cpu, redisCPU time.Duration, hops int) string {
	if cpu <= 0 || hops <= 0 {
		return "?"
	}
	out := fmt.Sprintf("%.0f µs", float64(cpu.Microseconds())/float64(hops))
	if redisCPU > 0 {
		out += fmt.Sprintf(" + %.0f", float64(redisCPU.Microseconds())/float64(hops))
	}
	return out
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

// cpu is the child's CPU time so far (user + system), 0 if unknown.
func (c *child) cpu() time.Duration { return procCPU(c.cmd.Process.Pid) }

// procCPU reads utime + stime of pid from /proc, in clock ticks of 10 ms
// (USER_HZ is 100 on Linux, whatever the kernel's own tick).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b)[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+st) * 10 * time.Millisecond
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
func loadOnRedis(ctx context.Context, hotline, url string, serveArgs []string, opts LoadOptions) (loadRun, error) {
	prefix, cleanup, err := loadPrefix(url)
	if err != nil {
		return loadRun{}, err
	}
	defer cleanup()
	args := append(serveArgs, "--redis", url, "--redis-prefix", prefix)
	srv, err := startChild(ctx, hotline, args, `msg="hotline listening" addr=(\S+)`)
	if err != nil {
		return loadRun{}, err
	}
	defer srv.stop()
	opts.URL = "http://" + srv.addr + "/c/demo-at/ussd"
	cpu0, rcpu0 := srv.cpu(), redisCPU(ctx, url)
	r, err := Load(ctx, opts)
	run := loadRun{res: r, rss: srv.peakRSS(), cpu: srv.cpu() - cpu0}
	if rcpu1 := redisCPU(ctx, url); rcpu0 > 0 && rcpu1 > rcpu0 {
		run.redisCPU = rcpu1 - rcpu0
	}
	return run, err
}

// redisCPU is the Redis server's CPU time so far (used_cpu_user +
// used_cpu_sys of INFO cpu), 0 if unknown. On a Redis shared with other
// clients it counts theirs too.
func redisCPU(ctx context.Context, url string) time.Duration {
	rdb, err := scaleout.Dial(url, os.Getenv("REDIS_PASSWORD"))
	if err != nil {
		return 0
	}
	defer rdb.Close()
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0
			}
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// loadPrefix is a fresh key prefix on url's Redis, and what deletes every
// key under it afterwards.
func loadPrefix(url string) (string, func(), error) {
	rdb, err := scaleout.Dial(url, os.Getenv("REDIS_PASSWORD"))
	if err != nil {
		return "", nil, err
	}
	prefix := fmt.Sprintf("nvload:%d:", time.Now().UnixNano())
	return prefix, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	}, nil
}

// loadOnGateways loads n gateway processes (stateless, --role gateway)
// and one casework node on url's Redis, the hops spread over the
// gateways in turn; dir holds the casework node's data and the keys all
// share.
func loadOnGateways(ctx context.Context, hotline, url, dir string, initKeys bool, n int, opts LoadOptions) (LoadResult, error) {
	prefix, cleanup, err := loadPrefix(url)
	if err != nil {
		return LoadResult{}, err
	}
	defer cleanup()
	const ready = `msg="hotline listening" addr=(\S+)`
	redisArgs := []string{"--redis", url, "--redis-prefix", prefix}
	cw, err := startChild(ctx, hotline, append(append(freshServe(dir, initKeys), "--role", "casework"), redisArgs...), ready)
	if err != nil {
		return LoadResult{}, err
	}
	defer cw.stop()
	var hosts []string
	for i := range n {
		args := []string{"serve", "--addr", "127.0.0.1:0", "--data", fmt.Sprintf("%s/gw%d", dir, i), "--keys", dir + "/keys", "--rate-channel", "0", "--role", "gateway"}
		g, err := startChild(ctx, hotline, append(args, redisArgs...), ready)
		if err != nil {
			return LoadResult{}, err
		}
		defer g.stop()
		hosts = append(hosts, g.addr)
	}
	opts.URL, opts.Hosts = "http://"+hosts[0]+"/c/demo-at/ussd", hosts[1:]
	return Load(ctx, opts)
}
