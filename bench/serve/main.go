// Command serve is the load generator of cmd/serve: it starts the server
// on a loopback port with a distilbert-base-uncased-size model (random
// weights unless --model names one), drives it with N concurrent clients
// for a fixed time at each concurrency level, and prints requests/s,
// p50/p95/p99 latency, errors, the server's peak RSS and the mean dynamic
// batch size (from /metrics), as a markdown table and JSON lines.
//
//	go run ./bench/serve                                   # 1, 8, 32, 128 clients, 20 s each
//	go run ./bench/serve --concurrency 32 --duration 10m   # RSS soak: first vs last minute
//
// Each client sends one request at a time ({"inputs": one sentence with a
// [MASK], top_k 5}) and the next as soon as it has the answer.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/shareddata"
)

// texts are review-like sentences of 8 to 30 tokens.
var texts = []string{
	"This is a great [MASK].",
	"I [MASK] this movie, the acting was superb.",
	"The plot was [MASK] and the ending made no sense at all.",
	"One of the worst [MASK] I have ever seen.",
	"The director clearly [MASK] what he was doing with this story.",
	"I would not recommend this film to [MASK].",
	"The music and the photography are [MASK], but the script is weak and the characters are flat.",
	"After twenty minutes I was [MASK].",
}

// Level is the result of one concurrency level.
type Level struct {
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	Requests    int     `json:"requests"`
	RPS         float64 `json:"requests_per_s"`
	P50MS       float64 `json:"p50_ms"`
	P95MS       float64 `json:"p95_ms"`
	P99MS       float64 `json:"p99_ms"`
	Errors      int     `json:"errors"`      // anything but 200
	Refused     int     `json:"refused_503"` // of which 503 (queue full)
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	// CPUMS is the server's CPU time (user + system) per answered request:
	// unlike requests/s it barely depends on what else the machine runs.
	CPUMS     float64 `json:"server_cpu_ms_per_request"`
	MeanBatch float64 `json:"mean_batch_requests"`
	// RSS of the soak: mean over the first and the last minute.
	FirstMinRSSMiB float64 `json:"first_min_rss_mib,omitempty"`
	LastMinRSSMiB  float64 `json:"last_min_rss_mib,omitempty"`
	// The machine's 1-minute load average over the level (mean and
	// highest sample): on a shared machine it says how far req/s and
	// latencies are from a quiet machine's.
	LoadMean float64 `json:"load_mean,omitempty"`
	LoadMax  float64 `json:"load_max,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve:", err)
		os.Exit(1)
	}
}

func run() error {
	conc := flag.String("concurrency", "1,8,32,128", "comma-separated numbers of concurrent clients")
	dur := flag.Duration("duration", 20*time.Second, "measured time per level")
	warm := flag.Duration("warmup", 3*time.Second, "unmeasured time before each level")
	model := flag.String("model", "", "model directory (default: a random distilbert-base-uncased-size model with the shared BERT vocabulary)")
	server := flag.String("server", "", "serve binary (default: go build ./cmd/serve)")
	text := flag.String("text", "", "send only this text (default: a mix of 8 review-like sentences of 8 to 25 tokens)")
	serverArgs := flag.String("server-args", "", "extra flags for the server, space-separated (e.g. \"--queue 64 --batch-wait 2ms\")")
	flag.Parse()
	if *text != "" {
		texts = []string{*text}
	}
	var levels []int
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--concurrency %q: want positive integers", *conc)
		}
		levels = append(levels, n)
	}
	tmp, err := os.MkdirTemp("", "bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *model == "" {
		if *model, err = randomModel(filepath.Join(tmp, "model")); err != nil {
			return err
		}
	}
	if *server == "" {
		*server = filepath.Join(tmp, "serve")
		fmt.Fprintln(os.Stderr, "building ./cmd/serve")
		b := exec.Command("go", "build", "-o", *server, "./cmd/serve")
		b.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := b.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/serve: %v\n%s", err, out)
		}
	}
	args := append([]string{"--model", *model, "--addr", "127.0.0.1:0"}, strings.Fields(*serverArgs)...)
	srv, url, err := startServer(*server, args)
	if err != nil {
		return err
	}
	defer func() {
		// SIGTERM: the server drains and exits (writing its --cpuprofile);
		// killed if it has not within 10 s.
		srv.Process.Signal(syscall.SIGTERM)
		t := time.AfterFunc(10*time.Second, func() { srv.Process.Kill() })
		srv.Wait()
		t.Stop()
	}()
	fmt.Fprintf(os.Stderr, "server %s at %s, model %s\n", *server, url, *model)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}, Timeout: time.Minute}
	var results []Level
	for _, c := range levels {
		fmt.Fprintf(os.Stderr, "concurrency %d: %v warm-up, %v measured\n", c, *warm, *dur)
		drive(client, url, c, *warm, nil)
		before, err := batchStats(client, url)
		if err != nil {
			return err
		}
		var rss rssSampler
		stop := rss.start(srv.Process.Pid)
		cpu0, err := cpuSeconds(srv.Process.Pid)
		if err != nil {
			return err
		}
		lvl := drive(client, url, c, *dur, &rss)
		cpu1, err := cpuSeconds(srv.Process.Pid)
		if err != nil {
			return err
		}
		stop()
		if lvl.Requests > 0 {
			lvl.CPUMS = (cpu1 - cpu0) * 1000 / float64(lvl.Requests)
		}
		after, err := batchStats(client, url)
		if err != nil {
			return err
		}
		if n := after[1] - before[1]; n > 0 {
			lvl.MeanBatch = (after[0] - before[0]) / n
		}
		lvl.PeakRSSMiB = rss.peak()
		lvl.LoadMean, lvl.LoadMax = rss.load()
		if *dur >= 2*time.Minute {
			lvl.FirstMinRSSMiB, lvl.LastMinRSSMiB = rss.firstLastMinute()
		}
		results = append(results, lvl)
		b, _ := json.Marshal(lvl)
		fmt.Println(string(b))
	}
	hwm, _ := procStatusKB(srv.Process.Pid, "VmHWM")
	fmt.Printf("\n| clients | req/s | p50 ms | p95 ms | p99 ms | errors (503) | peak RSS MiB | mean batch | server CPU ms/req | load avg (max) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, l := range results {
		fmt.Printf("| %d | %.1f | %.0f | %.0f | %.0f | %d (%d) | %.0f | %.1f | %.1f | %.1f (%.1f) |\n", l.Concurrency, l.RPS, l.P50MS, l.P95MS, l.P99MS, l.Errors, l.Refused, l.PeakRSSMiB, l.MeanBatch, l.CPUMS, l.LoadMean, l.LoadMax)
	}
	fmt.Printf("\nserver VmHWM %.0f MiB\n", float64(hwm)/1024)
	for _, l := range results {
		if l.FirstMinRSSMiB > 0 {
			fmt.Printf("soak at %d clients: RSS first minute %.1f MiB, last minute %.1f MiB (%+.2f%%)\n", l.Concurrency, l.FirstMinRSSMiB, l.LastMinRSSMiB, 100*(l.LastMinRSSMiB/l.FirstMinRSSMiB-1))
		}
	}
	// Levels may repeat (--concurrency 1,32,1,32,...: interleaved, so that
	// a shared machine's load changes hit both): medians per level.
	med := map[int][]float64{}
	for _, l := range results {
		med[l.Concurrency] = append(med[l.Concurrency], l.RPS)
	}
	if one, ok := med[1]; ok {
		base := median(one)
		for _, c := range levels {
			if xs := med[c]; c != 1 && xs != nil {
				fmt.Printf("throughput at %d clients: %.2fx one client (medians of %d and %d runs)\n", c, median(xs)/base, len(xs), len(one))
				med[c] = nil // once per level
			}
		}
	}
	return nil
}

// randomModel writes distilbert-base-uncased's architecture with random
// weights (as finetune --model random) and BERT's vocab.txt into dir.
func randomModel(dir string) (string, error) {
	vocab, err := shareddata.Find()
	if err != nil {
		return "", fmt.Errorf("the random model needs the BERT vocabulary: %w (or pass --model DIR)", err)
	}
	m, err := distilbert.New(distilbert.DefaultConfig(), 42)
	if err != nil {
		return "", err
	}
	if err := m.SaveDir(dir); err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(vocab, "bert-base-uncased", "vocab.txt"))
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "vocab.txt"), data, 0o644)
}

// startServer runs the server and waits for its "serving" log line.
func startServer(bin string, args []string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving" {
			go func() { // keep draining (warnings)
				for sc.Scan() {
					fmt.Fprintln(os.Stderr, "server:", sc.Text())
				}
			}()
			return cmd, "http://" + rec.Addr, nil
		}
		fmt.Fprintln(os.Stderr, "server:", sc.Text())
	}
	cmd.Wait()
	return nil, "", errors.New("the server exited before serving")
}

// drive runs c clients for d and measures them.
func drive(client *http.Client, url string, c int, d time.Duration, rss *rssSampler) Level {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []float64
	errs, refused := 0, 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			e, r := 0, 0
			for k := i; ctx.Err() == nil; k += c {
				body, _ := json.Marshal(map[string]any{"inputs": texts[k%len(texts)], "parameters": map[string]any{"top_k": 5}})
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					e++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					mine = append(mine, time.Since(t0).Seconds()*1000)
				case 503:
					e, r = e+1, r+1
				default:
					e++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs, refused = errs+e, refused+r
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	slices.Sort(lat)
	return Level{Concurrency: c, Seconds: el, Requests: len(lat), RPS: float64(len(lat)) / el,
		P50MS: pct(lat, 0.50), P95MS: pct(lat, 0.95), P99MS: pct(lat, 0.99), Errors: errs, Refused: refused}
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// pct is the nearest-rank percentile of sorted xs.
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return xs[max(0, min(i, len(xs)-1))]
}

var batchLine = regexp.MustCompile(`(?m)^distilgo_serve_batch_requests_(sum|count) ([0-9.e+]+)$`)

// batchStats returns the server's batch-size histogram sum and count.
func batchStats(client *http.Client, url string) ([2]float64, error) {
	var out [2]float64
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, err
	}
	for _, m := range batchLine.FindAllStringSubmatch(string(data), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "sum" {
			out[0] = v
		} else {
			out[1] = v
		}
	}
	return out, nil
}

// rssSampler samples the server's resident set once a second (and keeps
// the peak from every sample).
type rssSampler struct {
	mu      sync.Mutex
	t0      time.Time
	samples []rssSample
}

type rssSample struct {
	at   time.Duration
	mib  float64
	load float64 // 1-minute load average; < 0 when unreadable
}

func (r *rssSampler) start(pid int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	r.t0 = time.Now()
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := procStatusKB(pid, "VmRSS"); err == nil {
				r.mu.Lock()
				r.samples = append(r.samples, rssSample{time.Since(r.t0), float64(kb) / 1024, loadAvg()})
				r.mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (r *rssSampler) peak() float64 {
	p := 0.0
	for _, s := range r.samples {
		p = max(p, s.mib)
	}
	return p
}

// load returns the mean and the highest of the load-average samples (0, 0
// where /proc/loadavg is unreadable).
func (r *rssSampler) load() (mean, hi float64) {
	n := 0
	for _, s := range r.samples {
		if s.load >= 0 {
			mean, hi, n = mean+s.load, max(hi, s.load), n+1
		}
	}
	if n == 0 {
		return 0, 0
	}
	return mean / float64(n), hi
}

// loadAvg returns the machine's 1-minute load average (Linux), or -1.
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// firstLastMinute returns the mean RSS over the first and the last minute.
func (r *rssSampler) firstLastMinute() (first, last float64) {
	end := r.samples[len(r.samples)-1].at
	var fs, ls float64
	var fn, ln int
	for _, s := range r.samples {
		if s.at <= time.Minute {
			fs, fn = fs+s.mib, fn+1
		}
		if s.at >= end-time.Minute {
			ls, ln = ls+s.mib, ln+1
		}
	}
	return fs / float64(fn), ls / float64(ln)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

// cpuSeconds returns the user + system CPU time of process pid.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(data, ')') // the command name may hold spaces
	f := strings.Fields(string(data[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64) // field 14
	stime, err2 := strconv.ParseFloat(f[12], 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return (utime + stime) / clockTicks, nil
}

// procStatusKB reads a "Name: N kB" field of /proc/PID/status (Linux).
func procStatusKB(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
