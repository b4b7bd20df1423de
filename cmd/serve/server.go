package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/distilgo/distilgo/pipeline"
)

// server holds what the handlers share.
type server struct {
	fm      *pipeline.FillMask
	cfg     *config
	log     *slog.Logger
	batcher *batcher
	metrics *metrics
	reg     *prometheus.Registry
	served  atomic.Int64 // fill-mask requests answered with 200
	active  atomic.Int64 // fill-mask requests being handled
}

// metrics are the server's Prometheus series.
type metrics struct {
	requests      *prometheus.CounterVec
	latency       prometheus.Histogram
	batchRequests prometheus.Histogram
	batchTokens   prometheus.Histogram
}

func newServer(fm *pipeline.FillMask, c *config, log *slog.Logger) *server {
	reg := prometheus.NewRegistry()
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "distilgo_serve_requests_total", Help: "Requests answered, by route and HTTP status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "distilgo_serve_request_duration_seconds", Help: "Time from reading a fill-mask request to writing its answer.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12), // 5 ms .. 10 s
		}),
		batchRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "distilgo_serve_batch_requests", Help: "Requests per dynamic batch (one forward run).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		batchTokens: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "distilgo_serve_batch_tokens", Help: "Tokens per dynamic batch.",
			Buckets: prometheus.ExponentialBuckets(16, 2, 10), // 16 .. 8192
		}),
	}
	s := &server{fm: fm, cfg: c, log: log, metrics: m, reg: reg}
	s.batcher = &batcher{fm: fm, queue: make(chan *request, c.queue), budget: c.batchTokens, wait: c.batchWait, metrics: m}
	reg.MustRegister(m.requests, m.latency, m.batchRequests, m.batchTokens,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "distilgo_serve_queue_depth", Help: "Requests waiting for the model.",
		}, func() float64 { return float64(len(s.batcher.queue)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "distilgo_serve_queue_capacity", Help: "Most requests that may wait (--queue).",
		}, func() float64 { return float64(cap(s.batcher.queue)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "distilgo_serve_activation_bytes", Help: "Memory of the forward passes' activation buffers (sized by the warm-up; constant while serving).",
		}, func() float64 { return float64(fm.ActivationBytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "distilgo_serve_memory_limit_bytes", Help: "The Go runtime's soft memory limit (--mem-headroom above the memory in use after warm-up).",
		}, func() float64 { return float64(debug.SetMemoryLimit(-1)) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return s
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", s.fillMask)
	mux.HandleFunc("GET /health", s.health)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Allow", "POST")
			s.fail(w, r, "/", http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: POST a fill-mask request to /")
			return
		case "/health", "/metrics":
			w.Header().Set("Allow", "GET, HEAD")
			s.fail(w, r, r.URL.Path, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path+": GET it")
			return
		}
		s.fail(w, r, "other", http.StatusNotFound, "no route "+r.URL.Path+": POST /, GET /health, GET /metrics")
	})
	return mux
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	s.metrics.requests.WithLabelValues("/health", "200").Inc()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "model": s.cfg.model, "queue_depth": len(s.batcher.queue), "in_flight": s.active.Load()})
}

// payload is the Hugging Face Inference API's fill-mask request.
type payload struct {
	Inputs     json.RawMessage `json:"inputs"`
	Parameters *struct {
		TopK    json.RawMessage `json:"top_k"`
		Targets json.RawMessage `json:"targets"`
	} `json:"parameters"`
	Options json.RawMessage `json:"options"` // use_cache, wait_for_model: accepted, nothing to do
}

// httpError is an answer other than 200.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func tooLarge(format string, args ...any) error {
	return &httpError{http.StatusUnprocessableEntity, fmt.Sprintf(format, args...)}
}

// parse reads and checks a request: the texts, whether inputs was a single
// string, and the pipeline options.
func (s *server) parse(w http.ResponseWriter, r *http.Request) (texts []string, opts pipeline.Options, err error) {
	lim := s.cfg.limits
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, lim.bodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, opts, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over the limit of %d bytes (--max-body-bytes)", lim.bodyBytes)}
	}
	if err != nil {
		return nil, opts, badRequest("read request body: %v", err)
	}
	if !utf8.Valid(body) {
		return nil, opts, badRequest("request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var p payload
	if err := dec.Decode(&p); err != nil {
		return nil, opts, badRequest("malformed JSON: %v", jsonError(err))
	}
	if dec.More() {
		return nil, opts, badRequest("malformed JSON: data after the request object")
	}
	if len(p.Inputs) == 0 || string(p.Inputs) == "null" {
		return nil, opts, badRequest(`"inputs" is missing: want {"inputs": "text with [MASK]"} or a list of texts`)
	}
	var one string
	if err := json.Unmarshal(p.Inputs, &one); err == nil {
		texts = []string{one}
	} else if err := json.Unmarshal(p.Inputs, &texts); err != nil {
		return nil, opts, badRequest(`"inputs" must be a string or a list of strings`)
	}
	if len(texts) == 0 {
		return nil, opts, badRequest(`"inputs" is an empty list`)
	}
	if len(texts) > lim.inputs {
		return nil, opts, tooLarge(`"inputs" has %d texts, over the limit of %d (--max-inputs)`, len(texts), lim.inputs)
	}
	for i, t := range texts {
		if len(t) > lim.inputBytes {
			return nil, opts, tooLarge(`"inputs" text %d has %d bytes, over the limit of %d (--max-input-bytes)`, i+1, len(t), lim.inputBytes)
		}
	}
	if p.Parameters != nil {
		if len(p.Parameters.TopK) > 0 && string(p.Parameters.TopK) != "null" {
			var k int
			if err := json.Unmarshal(p.Parameters.TopK, &k); err != nil || k < 1 {
				return nil, opts, badRequest(`"parameters.top_k" must be a positive integer, not %s`, p.Parameters.TopK)
			}
			if k > lim.topK {
				return nil, opts, tooLarge(`"parameters.top_k" %d is over the limit of %d (--max-top-k)`, k, lim.topK)
			}
			opts.TopK = k
		}
		if tg := p.Parameters.Targets; len(tg) > 0 && string(tg) != "null" {
			var one string
			if err := json.Unmarshal(tg, &one); err == nil {
				opts.Targets = []string{one}
			} else if err := json.Unmarshal(tg, &opts.Targets); err != nil {
				return nil, opts, badRequest(`"parameters.targets" must be a string or a list of strings`)
			}
			if len(opts.Targets) > lim.targets {
				return nil, opts, tooLarge(`"parameters.targets" has %d entries, over the limit of %d (--max-targets)`, len(opts.Targets), lim.targets)
			}
		}
	}
	return texts, opts, nil
}

// jsonError says where a JSON document went wrong.
func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%q must be %v, not a JSON %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return err.Error()
}

func (s *server) fillMask(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.active.Add(1)
	defer s.active.Add(-1)
	code, err := s.answer(w, r)
	s.metrics.latency.Observe(time.Since(start).Seconds())
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			he = &httpError{http.StatusInternalServerError, err.Error()}
			s.log.Error("fill-mask failed", "err", err)
		}
		if he.code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		s.fail(w, r, "/", he.code, he.msg)
		return
	}
	s.metrics.requests.WithLabelValues("/", strconv.Itoa(code)).Inc()
	s.log.Debug("request", "code", code, "dur_ms", time.Since(start).Milliseconds())
}

// answer handles one fill-mask request and writes the 200 answer; any other
// outcome is returned as an error.
func (s *server) answer(w http.ResponseWriter, r *http.Request) (int, error) {
	texts, opts, err := s.parse(w, r)
	if err != nil {
		return 0, err
	}
	opts.Warn = func(msg string) { s.log.Warn(msg) }
	job, err := s.fm.Encode(texts, opts)
	var ie *pipeline.InputError
	if errors.As(err, &ie) {
		return 0, badRequest("%v", ie)
	}
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.timeout)
	defer cancel()
	req := &request{ctx: ctx, job: job, done: make(chan error, 1)}
	select {
	case s.batcher.queue <- req:
	default:
		return 0, &httpError{http.StatusServiceUnavailable, fmt.Sprintf("server busy: %d requests are waiting (--queue); retry later", cap(s.batcher.queue))}
	}
	select {
	case err = <-req.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return 0, &httpError{http.StatusGatewayTimeout, fmt.Sprintf("request took over the limit of %v (--timeout)", s.cfg.timeout)}
	case r.Context().Err() != nil:
		// The client is gone: nobody reads the answer. 499 as nginx logs it.
		return 0, &httpError{499, "client closed the request"}
	case err != nil:
		return 0, err
	}
	writeJSON(w, http.StatusOK, pipeline.HFOutput(job.Results))
	s.served.Add(1)
	return http.StatusOK, nil
}

// fail writes a JSON error answer and counts it.
func (s *server) fail(w http.ResponseWriter, r *http.Request, route string, code int, msg string) {
	s.metrics.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	level := slog.LevelDebug
	if code >= 500 && code != http.StatusServiceUnavailable {
		level = slog.LevelWarn
	}
	s.log.Log(r.Context(), level, "request failed", "code", code, "err", msg, "path", r.URL.Path)
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		code, data = http.StatusInternalServerError, []byte(`{"error":"encode answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(data, '\n'))
}
