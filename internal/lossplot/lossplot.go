// Package lossplot draws a training run's loss and perplexity curves
// (loss.png in the output directory) from its log records.
package lossplot

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/distilgo/distilgo/internal/atomicfile"
	"github.com/distilgo/distilgo/trainer"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// FileName is the loss plot in the output directory.
const FileName = "loss.png"

// PNG draws the run's curves against the optimizer step, one panel
// above the other, and returns the PNG: the training loss (train records,
// a line) and the validation loss (eval records, one point per evaluation)
// on the same axes, then the validation perplexity on a labelled log scale
// with its first and last values written beside their points. Non-finite
// values are left out; the data never touches the frame (the axes are
// padded). A panel without data is not drawn; with no data at all PNG
// returns ErrNoData.
func PNG(records []trainer.Record) ([]byte, error) {
	var loss, evalLoss, ppl plotter.XYs
	for _, r := range records {
		switch r.Kind {
		case trainer.KindTrain:
			if r.Loss != nil && finite(float64(*r.Loss)) {
				loss = append(loss, plotter.XY{X: float64(r.Step), Y: float64(*r.Loss)})
			}
		case trainer.KindEval:
			if r.EvalLoss != nil && finite(float64(*r.EvalLoss)) {
				evalLoss = append(evalLoss, plotter.XY{X: float64(r.Step), Y: float64(*r.EvalLoss)})
			}
			if r.Perplexity != nil && finite(float64(*r.Perplexity)) && *r.Perplexity > 0 {
				ppl = append(ppl, plotter.XY{X: float64(r.Step), Y: float64(*r.Perplexity)})
			}
		}
	}
	if len(loss)+len(evalLoss)+len(ppl) == 0 {
		return nil, ErrNoData
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, xys := range []plotter.XYs{loss, evalLoss, ppl} {
		for _, p := range xys {
			xmin, xmax = min(xmin, p.X), max(xmax, p.X)
		}
	}
	xmin, xmax = pad(xmin, xmax, 0.03, false)

	var panels [][]*plot.Plot
	if len(loss)+len(evalLoss) > 0 {
		top := newPanel("Loss", "loss", xmin, xmax)
		lo, hi := math.Inf(1), math.Inf(-1)
		if len(loss) > 0 {
			l, err := plotter.NewLine(loss)
			if err != nil {
				return nil, fmt.Errorf("plot: %w", err)
			}
			l.Color, l.Width = trainColor, vg.Points(1.2)
			top.Add(l)
			top.Legend.Add("training loss", l)
		}
		if len(evalLoss) > 0 {
			s, err := plotter.NewScatter(evalLoss)
			if err != nil {
				return nil, fmt.Errorf("plot: %w", err)
			}
			s.Color, s.Shape, s.Radius = evalColor, draw.CircleGlyph{}, vg.Points(3.5)
			top.Add(s)
			top.Legend.Add("validation loss (each evaluation)", s)
		}
		for _, xys := range []plotter.XYs{loss, evalLoss} {
			for _, p := range xys {
				lo, hi = min(lo, p.Y), max(hi, p.Y)
			}
		}
		top.Y.Min, top.Y.Max = pad(lo, hi, 0.08, false)
		top.Legend.Top = true
		panels = append(panels, []*plot.Plot{top})
	}
	if len(ppl) > 0 {
		bottom := newPanel("Validation perplexity", "perplexity (log scale)", xmin, xmax)
		lp, pts, err := plotter.NewLinePoints(ppl)
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		lp.Color, lp.Dashes = evalColor, []vg.Length{vg.Points(3), vg.Points(3)}
		pts.Color, pts.Shape, pts.Radius = evalColor, draw.CircleGlyph{}, vg.Points(3.5)
		bottom.Add(lp, pts)
		// The first and last values, written beside their points.
		ends := plotter.XYs{ppl[0]}
		if len(ppl) > 1 {
			ends = append(ends, ppl[len(ppl)-1])
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: ends, Labels: endLabels(ends)})
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		labels.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(4)}
		bottom.Add(labels)
		lo, hi := ppl[0].Y, ppl[0].Y
		for _, p := range ppl {
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
		bottom.Y.Scale = plot.LogScale{}
		bottom.Y.Tick.Marker = logTicks{}
		bottom.Y.Min, bottom.Y.Max = pad(lo, hi, 0.08, true)
		panels = append(panels, []*plot.Plot{bottom})
	}

	img := vgimg.New(8*vg.Inch, vg.Length(len(panels))*3.5*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Points(12), PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(18)}
	canvases := plot.Align(panels, tiles, dc)
	for j := range panels {
		panels[j][0].Draw(canvases[j][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return buf.Bytes(), nil
}

// ErrNoData is returned by PNG for records without a single
// finite loss or perplexity; Write then writes nothing.
var ErrNoData = errors.New("plot: no loss or perplexity to draw yet")

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255} // blue
	evalColor  = color.RGBA{R: 214, G: 39, B: 40, A: 255}  // red
)

func newPanel(title, ylabel string, xmin, xmax float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "optimizer step"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.X.Min, p.X.Max = xmin, xmax
	p.X.Tick.Marker = stepTicks{}
	return p
}

// pad widens [lo, hi] by frac of its width on each side (of its log width
// when log), so that no point or line lies on the axes; a single value
// gets a range around it.
func pad(lo, hi, frac float64, log bool) (float64, float64) {
	if log {
		l, h := pad(math.Log10(lo), math.Log10(hi), frac, false)
		return math.Pow(10, l), math.Pow(10, h)
	}
	w := hi - lo
	if w <= 0 {
		w = max(math.Abs(lo)*0.1, 1)
		if log {
			w = 0.1
		}
	}
	return lo - frac*w, hi + frac*w
}

func endLabels(xys plotter.XYs) []string {
	s := make([]string, len(xys))
	for i, p := range xys {
		prec := 2
		if p.Y >= 1000 {
			prec = 0
		}
		s[i] = strconv.FormatFloat(p.Y, 'f', prec, 64)
	}
	return s
}

// logTicks labels a log axis: 1-2-5 ticks per decade over a wide range,
// about five labelled ticks at a 1-2-2.5-5 step over a narrow one (where
// a decade's ticks would leave one label or none).
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi/lo < 20 {
		// About five labelled ticks at a 1-2-2.5-5 step.
		raw := (hi - lo) / 5
		mag := math.Pow(10, math.Floor(math.Log10(raw)))
		step := 10 * mag
		for _, m := range []float64{1, 2, 2.5, 5} {
			if m*mag >= raw {
				step = m * mag
				break
			}
		}
		// Decimals of the step: 1 for 0.1 and 0.5, 2 for 0.25 and 0.02.
		dec := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
		if r := step * math.Pow(10, float64(dec)); math.Abs(r-math.Round(r)) > 1e-9 {
			dec++
		}
		var ticks []plot.Tick
		for i := math.Ceil(lo/step - 1e-9); i*step <= hi*(1+1e-12); i++ {
			scale := math.Pow(10, float64(dec))
			v := math.Round(i*step*scale) / scale
			l := strconv.FormatFloat(v, 'f', dec, 64)
			if strings.Contains(l, ".") {
				l = strings.TrimRight(strings.TrimRight(l, "0"), ".")
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: l})
		}
		return ticks
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		d := math.Pow(10, e)
		for i := 1; i < 10; i++ {
			v := float64(i) * d
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if i == 1 || i == 2 || i == 5 {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// Write writes PNG(records) to path atomically; with nothing to
// draw yet it writes nothing (and leaves an older plot alone).
func Write(path string, records []trainer.Record) error {
	png, err := PNG(records)
	if errors.Is(err, ErrNoData) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, 0o644, png); err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	return nil
}

// stepTicks labels the step axis with integers.
type stepTicks struct{}

// Ticks implements plot.Ticker.
func (stepTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	return ticks
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
