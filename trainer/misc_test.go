package trainer

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPlotPNG(t *testing.T) {
	hist := []Record{
		{Kind: KindEval, Step: 0, EvalLoss: fptr(10.3), Perplexity: fptr(30000)},
		{Kind: KindTrain, Step: 10, Loss: fptr(9)},
		{Kind: KindTrain, Step: 20, Loss: fptr(7)},
		{Kind: KindEval, Step: 20, EvalLoss: fptr(6.8), Perplexity: fptr(900)},
		{Kind: KindEval, Step: 30, EvalLoss: fptr(math.Inf(1)), Perplexity: fptr(math.Inf(1))}, // left out
	}
	tests := []struct {
		name    string
		records []Record
		panels  int // 0: no plot
	}{
		{"loss and perplexity", hist, 2},
		{"before the first evaluation", hist[1:3], 1},
		{"nothing logged yet", nil, 0},
		{"only non-finite values", hist[4:], 0},
	}
	for _, tc := range tests {
		data, err := PlotPNG(tc.records)
		if tc.panels == 0 {
			if !errors.Is(err, ErrNoPlotData) {
				t.Errorf("%s: err = %v, want ErrNoPlotData", tc.name, err)
			}
			path := filepath.Join(t.TempDir(), PlotFileName)
			if err := WritePlot(path, tc.records); err != nil {
				t.Errorf("%s: WritePlot: %v", tc.name, err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: WritePlot wrote a plot of nothing (stat: %v)", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", tc.name, err)
		}
		// 8x3.5 inches per panel at vgimg's default 96 dpi.
		if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 336*tc.panels {
			t.Errorf("%s: image %v, want 768x%d (%d panels)", tc.name, b, 336*tc.panels, tc.panels)
		}
	}
}

// The perplexity axis carries enough labelled ticks to read it, over a
// narrow range (the course's 21.75 -> 11.61) and over decades.
func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var s []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				if tk.Value < lo || tk.Value > hi {
					t.Errorf("tick %v outside [%v, %v]", tk.Value, lo, hi)
				}
				s = append(s, tk.Label)
			}
		}
		return s
	}
	tests := []struct {
		lo, hi float64
		want   []string
	}{
		{11.0, 23.0, []string{"12.5", "15", "17.5", "20", "22.5"}},
		{450, 40000, []string{"500", "1000", "2000", "5000", "10000", "20000"}},
		{2.0, 2.4, []string{"2", "2.1", "2.2", "2.3", "2.4"}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, labels(tc.lo, tc.hi)); d != "" {
			t.Errorf("[%v, %v] (-want +got):\n%s", tc.lo, tc.hi, d)
		}
	}
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf)
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	s := Status{Step: 5, Total: 10, Epoch: 0.5, Epochs: 1, Loss: 2.5, LR: 1e-5, TokensPerSec: 1234, ETA: 90 * time.Second}
	p.Update(s, false)
	now = now.Add(time.Second)
	p.Update(s, false) // within the 30 s interval: not printed
	p.Printf("eval %d", 1)
	now = now.Add(31 * time.Second)
	p.Update(s, false)
	want := "step 5/10 (50%) | epoch 0.50/1 | loss 2.5000 | lr 1e-05 | 1234 tok/s | ETA 1m30s\n" +
		"eval 1\n" +
		"step 5/10 (50%) | epoch 0.50/1 | loss 2.5000 | lr 1e-05 | 1234 tok/s | ETA 1m30s\n"
	if buf.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", buf.String(), want)
	}
	if strings.Contains(buf.String(), "\r") {
		t.Error("plain output holds carriage returns")
	}
}

func TestProgressLive(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf)
	p.tty, p.interval = true, 0
	p.Update(Status{Step: 1, Total: 2, ETA: -1}, false)
	p.Printf("message")
	p.Done()
	want := "\r\033[Kstep 1/2 (50%) | epoch 0.00/0 | loss 0.0000 | lr 0 | 0 tok/s | ETA ?\r\033[Kmessage\n"
	if buf.String() != want {
		t.Errorf("output %q, want %q", buf.String(), want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		12 * time.Second: "12s", 185 * time.Second: "3m05s", 3720 * time.Second: "1h02m", 50 * time.Hour: "50h00m",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestEpochTable(t *testing.T) {
	hist := []Record{
		{Kind: KindEval, Step: 0, EvalLoss: fptr(3), Perplexity: fptr(20.09)},
		{Kind: KindEpoch, Step: 157, Loss: fptr(2.7)},
		{Kind: KindEval, Step: 157, EvalLoss: fptr(2.5), Perplexity: fptr(12.18)},
		{Kind: KindEpoch, Step: 314, Loss: fptr(2.6)},
	}
	got := FormatEpochTable(EpochTable(hist))
	want := "Epoch | Training Loss | Validation Loss | Perplexity\n" +
		"1     | 2.700000      | 2.500000        | 12.18\n" +
		"2     | 2.600000      | -               | -\n"
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Error("a pipe was taken for a terminal")
	}
	if p := NewProgress(w); p.tty {
		t.Error("NewProgress went live on a pipe")
	}
}
