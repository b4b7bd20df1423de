package lossplot

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/distilgo/distilgo/trainer"
	"github.com/google/go-cmp/cmp"
)

func fp(x float64) *trainer.Float { f := trainer.Float(x); return &f }

func TestPNG(t *testing.T) {
	hist := []trainer.Record{
		{Kind: trainer.KindEval, Step: 0, EvalLoss: fp(10.3), Perplexity: fp(30000)},
		{Kind: trainer.KindTrain, Step: 10, Loss: fp(9)},
		{Kind: trainer.KindTrain, Step: 20, Loss: fp(7)},
		{Kind: trainer.KindEval, Step: 20, EvalLoss: fp(6.8), Perplexity: fp(900)},
		{Kind: trainer.KindEval, Step: 30, EvalLoss: fp(math.Inf(1)), Perplexity: fp(math.Inf(1))}, // left out
	}
	tests := []struct {
		name    string
		records []trainer.Record
		panels  int // 0: no plot
	}{
		{"loss and perplexity", hist, 2},
		{"before the first evaluation", hist[1:3], 1},
		{"nothing logged yet", nil, 0},
		{"only non-finite values", hist[4:], 0},
	}
	for _, tc := range tests {
		data, err := PNG(tc.records)
		if tc.panels == 0 {
			if !errors.Is(err, ErrNoData) {
				t.Errorf("%s: err = %v, want ErrNoData", tc.name, err)
			}
			path := filepath.Join(t.TempDir(), FileName)
			if err := Write(path, tc.records); err != nil {
				t.Errorf("%s: Write: %v", tc.name, err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: Write wrote a plot of nothing (stat: %v)", tc.name, err)
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
