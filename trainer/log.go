package trainer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
)

// Float is a float64 that JSON-encodes ±Inf and NaN as the strings "+Inf",
// "-Inf" and "NaN" (plain JSON numbers cannot hold them), so a diverging run
// still logs.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = Float(math.NaN())
		return nil
	case `"+Inf"`, `"Inf"`:
		*f = Float(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
		return nil
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("float: %q is not a number", b)
	}
	*f = Float(x)
	return nil
}

// Kinds of log records.
const (
	KindTrain = "train" // training progress every LogEvery steps
	KindEval  = "eval"  // an evaluation
	KindEpoch = "epoch" // the end of an epoch
)

// Record is one line of log.jsonl and one entry of the log history kept in
// checkpoints. Fields that do not apply to a kind are omitted.
type Record struct {
	Kind string `json:"kind"`
	// Step is the number of optimizer steps done; Epoch the fractional
	// epoch (Step / steps per epoch), as Trainer logs it.
	Step  int     `json:"step"`
	Epoch float64 `json:"epoch"`
	// KindTrain: Loss is the mean training loss of the steps since the
	// previous train record, LearningRate the rate of the last step,
	// GradNorm its gradient norm before clipping, TokensPerSec the input
	// tokens per second over those steps. KindEpoch: Loss is the mean
	// training loss of the epoch.
	Loss         *Float `json:"loss,omitempty"`
	LearningRate *Float `json:"learning_rate,omitempty"`
	GradNorm     *Float `json:"grad_norm,omitempty"`
	TokensPerSec *Float `json:"tokens_per_s,omitempty"`
	// KindEval: the EvalResult.
	EvalLoss      *Float `json:"eval_loss,omitempty"`
	EvalTokenLoss *Float `json:"eval_token_loss,omitempty"`
	Perplexity    *Float `json:"perplexity,omitempty"`
	EvalTokens    int    `json:"eval_tokens,omitempty"`
	// ElapsedSec is the training time so far (evaluations included),
	// summed over resumed runs.
	ElapsedSec float64 `json:"elapsed_s"`
}

func fptr(x float64) *Float { f := Float(x); return &f }

// LogFileName is the JSON Lines log in the output directory.
const LogFileName = "log.jsonl"

// encodeRecords returns records as JSON Lines.
func encodeRecords(records []Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range records {
		if err := enc.Encode(&records[i]); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// ReadLog reads a log.jsonl file.
func ReadLog(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	var out []Record
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("read log %s: line %d: %w", path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// logFile appends records to log.jsonl.
type logFile struct {
	f *os.File
}

// openLog rewrites path with history (atomically) and opens it for
// appending: a resumed run's log holds exactly the records up to its
// checkpoint, then the new ones.
func openLog(path string, history []Record) (*logFile, error) {
	data, err := encodeRecords(history)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, data); err != nil {
		return nil, fmt.Errorf("write log %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &logFile{f: f}, nil
}

func (l *logFile) append(r Record) error {
	data, err := json.Marshal(&r)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write log %s: %w", l.f.Name(), err)
	}
	return nil
}

func (l *logFile) close() error { return l.f.Close() }
