package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/pipeline"
	"github.com/distilgo/distilgo/trainer"
)

// tinyHF is the tests' tiny checkpoint in transformers' layout (100-token
// vocabulary, max_position_embeddings 16): fast enough for a thousand
// requests.
var tinyHF = filepath.Join("..", "..", "distilbert", "testdata", "tiny-hf")

// TestMain lets a test run this binary as the serve command itself (for
// the SIGTERM test).
func TestMain(m *testing.M) {
	if os.Getenv("DISTILGO_SERVE_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for the server's logging goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startServer runs the command on a loopback port; stop is SIGTERM's
// equivalent and returns run's error.
func startServer(t *testing.T, args ...string) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(ctx, append([]string{"--model", tinyHF, "--addr", "127.0.0.1:0"}, args...), &logs, func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		url = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("server did not start in 20 s")
	}
	stopped := false
	var err error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return url, stop
}

func post(t testing.TB, url, body string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func loadPipeline(t testing.TB) *pipeline.FillMask {
	t.Helper()
	fm, err := pipeline.Load(context.Background(), tinyHF, pipeline.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

// expected is what pipeline.FillMask answers for texts, as decoded JSON.
func expected(t testing.TB, fm *pipeline.FillMask, texts []string, opts pipeline.Options) any {
	t.Helper()
	opts.Warn = func(string) {}
	res, err := fm.Predict(context.Background(), texts, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(pipeline.HFOutput(res))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// scoreTol: a request batched with others runs in a padded batch of another
// shape, whose GEMM blocking rounds differently; the pipeline's tests bound
// that at 1e-4 relative on the scores (pipeline.scoreTol's reasoning).
var scoreCmp = cmp.Comparer(func(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-4*math.Max(math.Abs(a), math.Abs(b))
})

// The answers are pipeline.FillMask's, in the Inference API's shapes: a
// list for one text with one mask, a list of lists for several masks or
// several texts.
func TestAnswersEqualPipeline(t *testing.T) {
	url, _ := startServer(t)
	fm := loadPipeline(t)
	cases := []struct {
		body  string
		texts []string
		opts  pipeline.Options
	}{
		{`{"inputs": "the [MASK] was boring ."}`, []string{"the [MASK] was boring ."}, pipeline.Options{}},
		{`{"inputs": ["the [MASK] was boring ."]}`, []string{"the [MASK] was boring ."}, pipeline.Options{}},
		{`{"inputs": "[MASK] movie is [MASK] ."}`, []string{"[MASK] movie is [MASK] ."}, pipeline.Options{}},
		{`{"inputs": ["the [MASK] was boring .", "[MASK] movie is [MASK] .", "it was [MASK]"], "parameters": {"top_k": 2}}`,
			[]string{"the [MASK] was boring .", "[MASK] movie is [MASK] .", "it was [MASK]"}, pipeline.Options{TopK: 2}},
		{`{"inputs": "the [MASK] was boring .", "parameters": {"targets": "film"}}`, []string{"the [MASK] was boring ."}, pipeline.Options{Targets: []string{"film"}}},
		{`{"inputs": "the [MASK] was boring .", "parameters": {"targets": ["film", "Movie"], "top_k": 7}, "options": {"wait_for_model": true}}`,
			[]string{"the [MASK] was boring ."}, pipeline.Options{Targets: []string{"film", "Movie"}, TopK: 7}},
		{`{"inputs": "the [MASK] was boring` + strings.Repeat(" very", 20) + `"}`, []string{"the [MASK] was boring" + strings.Repeat(" very", 20)}, pipeline.Options{}},
	}
	for _, c := range cases {
		code, hdr, body := post(t, url, c.body)
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s %s", c.body, code, hdr.Get("Content-Type"), body)
			continue
		}
		var got any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if diff := cmp.Diff(expected(t, fm, c.texts, c.opts), got, scoreCmp); diff != "" {
			t.Errorf("%s (-pipeline +server):\n%s", c.body, diff)
		}
	}
	resp, err := http.Get(url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h["status"] != "ok" {
		t.Errorf("/health: %d %v", resp.StatusCode, h)
	}
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`distilgo_serve_requests_total{code="200",route="/"} 7`,
		"distilgo_serve_request_duration_seconds_count 7",
		"distilgo_serve_batch_requests_count 7",
		"distilgo_serve_batch_tokens_bucket",
		"distilgo_serve_queue_depth 0",
		"process_resident_memory_bytes",
		"distilgo_serve_activation_bytes",
		"distilgo_serve_memory_limit_bytes",
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// Every malformed or oversized request gets its status and a JSON error
// that names the problem (the limit's flag for 413 and 422).
func TestErrors(t *testing.T) {
	url, _ := startServer(t, "--max-body-bytes", "2000", "--max-inputs", "3", "--max-input-bytes", "300", "--max-top-k", "10", "--max-targets", "2")
	cases := []struct {
		name, body string
		code       int
		want       string
	}{
		{"malformed", `{"inputs": "a [MASK]"`, 400, "malformed JSON"},
		{"not an object", `["a [MASK]"]`, 400, "malformed JSON"},
		{"empty body", ``, 400, "empty body"},
		{"trailing data", `{"inputs": "a [MASK]"} {}`, 400, "data after the request object"},
		{"no inputs", `{"parameters": {"top_k": 2}}`, 400, `"inputs" is missing`},
		{"inputs number", `{"inputs": 5}`, 400, `"inputs" must be a string or a list of strings`},
		{"inputs mixed list", `{"inputs": ["a [MASK]", 5]}`, 400, `"inputs" must be a string or a list of strings`},
		{"inputs empty list", `{"inputs": []}`, 400, "empty list"},
		{"no mask", `{"inputs": "no mask here"}`, 400, "text 1: no [MASK] token"},
		{"no mask in second", `{"inputs": ["a [MASK]", "none"]}`, 400, "text 2: no [MASK] token"},
		{"invalid UTF-8", "{\"inputs\": \"a [MASK] \xff\xfe\"}", 400, "not valid UTF-8"},
		{"top_k string", `{"inputs": "a [MASK]", "parameters": {"top_k": "5"}}`, 400, `"parameters.top_k" must be a positive integer`},
		{"top_k zero", `{"inputs": "a [MASK]", "parameters": {"top_k": 0}}`, 400, `"parameters.top_k" must be a positive integer`},
		{"top_k fraction", `{"inputs": "a [MASK]", "parameters": {"top_k": 1.5}}`, 400, `"parameters.top_k" must be a positive integer`},
		{"parameters wrong type", `{"inputs": "a [MASK]", "parameters": 3}`, 400, "malformed JSON"},
		{"targets number", `{"inputs": "a [MASK]", "parameters": {"targets": 3}}`, 400, `"parameters.targets" must be a string or a list of strings`},
		{"targets unusable", `{"inputs": "a [MASK]", "parameters": {"targets": [" "]}}`, 400, "at least one target"},
		{"body too large", `{"inputs": "` + strings.Repeat("a", 2100) + `[MASK]"}`, 413, "over the limit of 2000 bytes (--max-body-bytes)"},
		{"too many inputs", `{"inputs": ["a [MASK]", "a [MASK]", "a [MASK]", "a [MASK]"]}`, 422, "4 texts, over the limit of 3 (--max-inputs)"},
		{"input too long", `{"inputs": "` + strings.Repeat("a ", 160) + `[MASK]"}`, 422, "text 1 has 326 bytes, over the limit of 300 (--max-input-bytes)"},
		{"top_k too large", `{"inputs": "a [MASK]", "parameters": {"top_k": 11}}`, 422, "11 is over the limit of 10 (--max-top-k)"},
		{"too many targets", `{"inputs": "a [MASK]", "parameters": {"targets": ["a", "b", "c"]}}`, 422, "3 entries, over the limit of 2 (--max-targets)"},
	}
	for _, c := range cases {
		code, hdr, body := post(t, url, c.body)
		var e struct{ Error string }
		if err := json.Unmarshal(body, &e); err != nil || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s: answer %q is not a JSON error (%v)", c.name, body, err)
			continue
		}
		if code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s: %d %q, want %d containing %q", c.name, code, e.Error, c.code, c.want)
		}
	}
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/", 405}, {"PUT", "/", 405}, {"GET", "/nope", 404}, {"POST", "/health", 405}} {
		req, _ := http.NewRequest(c.method, url+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
	}
}

// stalled starts the handlers on a loopback port without a batcher
// running, so requests stay queued; startBatcher starts it.
func stalled(t *testing.T, queue int, timeout time.Duration) (url string, s *server, startBatcher func()) {
	t.Helper()
	c, err := parseFlags([]string{"--queue", fmt.Sprint(queue), "--timeout", timeout.String()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s = newServer(loadPipeline(t), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.routes()}
	go srv.Serve(ln)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	t.Cleanup(func() { srv.Close(); cancel() })
	return "http://" + ln.Addr().String(), s, func() { once.Do(func() { go s.batcher.loop(ctx) }) }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A full queue answers 503 with Retry-After at once; a request over
// --timeout gets 504.
func TestQueueFullAndTimeout(t *testing.T) {
	url, s, start := stalled(t, 1, 2*time.Second)
	first := make(chan int, 1)
	go func() { code, _, _ := post(t, url, `{"inputs": "a [MASK]"}`); first <- code }()
	waitFor(t, "the first request to be queued", func() bool { return len(s.batcher.queue) == 1 })
	t0 := time.Now()
	code, hdr, body := post(t, url, `{"inputs": "a [MASK]"}`)
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "(--queue)") {
		t.Errorf("full queue: %d Retry-After %q %s", code, hdr.Get("Retry-After"), body)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("503 took %v: it must not wait (for the 2 s timeout)", d)
	}
	if code := <-first; code != 504 {
		t.Errorf("queued past --timeout: %d, want 504", code)
	}
	start()
	if code, _, body := post(t, url, `{"inputs": "a [MASK]"}`); code != 200 {
		t.Errorf("after the batcher started: %d %s", code, body)
	}
}

// A client that disconnects before its batch runs costs no model work:
// the batcher drops its request.
func TestClientDisconnectCancels(t *testing.T) {
	url, s, start := stalled(t, 4, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(`{"inputs": "a [MASK]"}`))
		_, err := http.DefaultClient.Do(req)
		errc <- err
	}()
	waitFor(t, "the request to be queued", func() bool { return len(s.batcher.queue) == 1 })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	waitFor(t, "the handler to return", func() bool { return s.active.Load() == 0 })
	start()
	if code, _, body := post(t, url, `{"inputs": "a [MASK]"}`); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// One forward run holding one request: the live one.
	for _, want := range []string{"distilgo_serve_batch_requests_count 1\n", "distilgo_serve_batch_requests_sum 1\n", `distilgo_serve_requests_total{code="499",route="/"} 1`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

var loadTexts = []string{
	"the [MASK] was boring .",
	"[MASK] movie is [MASK] .",
	"this film was really [MASK] and the acting was [MASK] !",
	"it was [MASK]",
	"the [MASK] was boring" + strings.Repeat(" very", 20),
}

// 1,000 concurrent requests against a queue of 8: each answer is either
// correct (the pipeline's, batched or not) or a clean 503 with
// Retry-After; the heap stays bounded and no goroutine is left behind.
func TestThousandConcurrentRequests(t *testing.T) {
	fm := loadPipeline(t)
	want := make([]any, len(loadTexts))
	for i, text := range loadTexts {
		want[i] = expected(t, fm, []string{text}, pipeline.Options{TopK: 3})
	}
	before := runtime.NumGoroutine()
	url, stop := startServer(t, "--queue", "8", "--batch-wait", "2ms", "--log-level", "error")
	tr := &http.Transport{MaxIdleConnsPerHost: 1000}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var peak atomic.Uint64
	sampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-sampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	const n = 1000
	var ok, busy atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan string, n)
	startGate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGate
			k := i % len(loadTexts)
			body, _ := json.Marshal(map[string]any{"inputs": loadTexts[k], "parameters": map[string]any{"top_k": 3}})
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				errs <- err.Error()
				return
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case 200:
				var got any
				if err := json.Unmarshal(data, &got); err != nil {
					errs <- fmt.Sprintf("request %d: %v", i, err)
				} else if diff := cmp.Diff(want[k], got, scoreCmp); diff != "" {
					errs <- fmt.Sprintf("request %d (-pipeline +server):\n%s", i, diff)
				}
				ok.Add(1)
			case 503:
				var e struct{ Error string }
				if resp.Header.Get("Retry-After") == "" || json.Unmarshal(data, &e) != nil || e.Error == "" {
					errs <- fmt.Sprintf("request %d: 503 without Retry-After or JSON error: %s", i, data)
				}
				busy.Add(1)
			default:
				errs <- fmt.Sprintf("request %d: %d %s", i, resp.StatusCode, data)
			}
		}()
	}
	close(startGate)
	wg.Wait()
	close(sampling)
	sampler.Wait()
	close(errs)
	nErr := 0
	for e := range errs {
		if nErr++; nErr <= 5 {
			t.Error(e)
		}
	}
	if nErr > 0 {
		t.Errorf("%d of %d requests failed", nErr, n)
	}
	t.Logf("%d answered, %d refused with 503; peak heap %.1f MiB", ok.Load(), busy.Load(), float64(peak.Load())/(1<<20))
	if ok.Load() < 8 {
		t.Errorf("only %d requests answered", ok.Load())
	}
	// The heap holds the model (a few hundred KB), the clients' and the
	// handlers' buffers (a few KB per connection) and at most --queue
	// waiting jobs: far under 256 MiB. An unbounded pile of waiting work
	// or answers would not be.
	if peak.Load() > 256<<20 {
		t.Errorf("peak heap %d bytes", peak.Load())
	}
	tr.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before+5 })
}

// SIGTERM stops accepting, answers every accepted request, and exits 0:
// the command itself (this test binary re-run as main) on a loopback port.
// The 2 s batch wait holds the 20 requests in the server while it is told
// to stop.
func TestSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	cmd := exec.Command(os.Args[0], "--model", tinyHF, "--addr", "127.0.0.1:0", "--batch-wait", "2s", "--log-level", "debug")
	cmd.Env = append(os.Environ(), "DISTILGO_SERVE_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	var url string
	var logs []string
	for sc.Scan() {
		logs = append(logs, sc.Text())
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving" {
			url = "http://" + rec.Addr
			break
		}
	}
	if url == "" {
		t.Fatalf("no 'serving' log line: %q", logs)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	const n = 20
	codes := make(chan int, n)
	for range n {
		go func() {
			resp, err := http.Post(url, "application/json", strings.NewReader(`{"inputs": "the [MASK] was boring ."}`))
			if err != nil {
				codes <- -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	waitFor(t, "all requests to be accepted", func() bool {
		resp, err := http.Get(url + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var h struct {
			InFlight int `json:"in_flight"`
		}
		json.NewDecoder(resp.Body).Decode(&h)
		return h.InFlight == n
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range n {
		if c := <-codes; c != 200 {
			t.Errorf("accepted request answered %d during shutdown", c)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", err)
	}
	if _, err := http.Get(url + "/health"); err == nil {
		t.Error("still accepting connections after SIGTERM")
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, nil); err != nil || !strings.Contains(out.String(), "usage: serve") {
		t.Errorf("--help: err %v, output %q", err, out.String())
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--queue", "0"}, "--queue 0: must be at least 1"},
		{[]string{"--max-inputs", "-1"}, "--max-inputs -1"},
		{[]string{"--mem-headroom", "-1"}, "--mem-headroom -1: must not be negative"},
		{[]string{"--timeout", "0s"}, "must be positive"},
		{[]string{"--precision", "fp8"}, "--precision"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--model", filepath.Join(t.TempDir(), "none")}, "no such directory"},
		{[]string{"stray"}, "unexpected argument"},
		{[]string{"--addr", "256.0.0.1:1"}, "--addr"},
	}
	for _, c := range cases {
		args := append([]string{"--model", tinyHF}, c.args...)
		if err := run(context.Background(), args, io.Discard, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want containing %q", c.args, err, c.want)
		}
	}
}

// While serving, the Go memory limit sits --mem-headroom above the memory
// in use after warm-up (so the activation buffers are below it); 0 leaves
// the runtime's; run restores the previous limit when it returns.
func TestMemoryLimit(t *testing.T) {
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		t.Skipf("GOMEMLIMIT=%s in the environment: the server leaves it", v)
	}
	before := debug.SetMemoryLimit(-1)
	for _, c := range []struct {
		headroom  int
		unlimited bool
	}{{64, false}, {0, true}} {
		url, stop := startServer(t, "--mem-headroom", strconv.Itoa(c.headroom))
		limit := metric(t, url, "distilgo_serve_memory_limit_bytes")
		act := metric(t, url, "distilgo_serve_activation_bytes")
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if c.unlimited {
			if limit != float64(before) {
				t.Errorf("--mem-headroom 0: memory limit %g, want the runtime's %d", limit, before)
			}
		} else if limit < float64(c.headroom<<20)+act || limit > float64(1<<30) {
			t.Errorf("--mem-headroom %d: memory limit %g bytes, want the headroom plus the memory in use (activations %g bytes; the tiny model and test binary, well under 1 GiB)", c.headroom, limit, act)
		}
		if act <= 0 {
			t.Errorf("activation bytes %g after warm-up", act)
		}
		if got := debug.SetMemoryLimit(-1); got != before {
			t.Errorf("--mem-headroom %d: memory limit %d after run returned, want %d restored", c.headroom, got, before)
		}
	}
}

// metric reads one unlabelled series from the server's /metrics.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// The output directory of an unfinished training run (checkpoints, no
// final model) is refused with the checkpoint to pass instead.
func TestUnfinishedRun(t *testing.T) {
	out := t.TempDir()
	m, err := distilbert.LoadDir(tinyHF)
	if err != nil {
		t.Fatal(err)
	}
	opt := trainer.NewAdamW(m.Params, trainer.DefaultAdamWConfig(0.01))
	opt.Steps = 8 // as if 8 steps had run
	ck8, err := trainer.SaveCheckpoint(out, m, opt, &trainer.State{GlobalStep: 8})
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"--model", out}, io.Discard, nil)
	if want := "pass --model " + ck8; err == nil || !strings.Contains(err.Error(), "not finished") || !strings.Contains(err.Error(), want) {
		t.Errorf("unfinished run: err %v, want 'not finished' and %q", err, want)
	}
}

// TestCPUProfile: --cpuprofile writes a profile of the serving time when the
// server stops (a gzip-compressed pprof protobuf), not before.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.prof")
	url, stop := startServer(t, "--cpuprofile", path)
	if code, _, body := post(t, url, `{"inputs": "the movie was [MASK] ."}`); code != http.StatusOK {
		t.Fatalf("POST: %d %s", code, body)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("profile written before the server stopped: stat: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("profile: %d bytes, not gzip (want a pprof profile)", len(data))
	}
}
