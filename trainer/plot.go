package trainer

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotFileName is the loss plot in the output directory.
const PlotFileName = "loss.png"

// PlotPNG draws the training loss (train records) and the evaluation
// perplexity (eval records, log scale) against the optimizer step, one
// panel above the other, and returns the PNG. Non-finite values are left
// out.
func PlotPNG(records []Record) ([]byte, error) {
	var loss, ppl plotter.XYs
	for _, r := range records {
		switch {
		case r.Kind == KindTrain && r.Loss != nil && finite(float64(*r.Loss)):
			loss = append(loss, plotter.XY{X: float64(r.Step), Y: float64(*r.Loss)})
		case r.Kind == KindEval && r.Perplexity != nil && finite(float64(*r.Perplexity)) && *r.Perplexity > 0:
			ppl = append(ppl, plotter.XY{X: float64(r.Step), Y: float64(*r.Perplexity)})
		}
	}
	top := plot.New()
	top.Title.Text = "Training loss"
	top.X.Label.Text = "step"
	top.Y.Label.Text = "loss"
	top.Add(plotter.NewGrid())
	if len(loss) > 0 {
		l, err := plotter.NewLine(loss)
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		top.Add(l)
	}
	bottom := plot.New()
	bottom.Title.Text = "Evaluation perplexity"
	bottom.X.Label.Text = "step"
	bottom.Y.Label.Text = "perplexity"
	bottom.Add(plotter.NewGrid())
	if len(ppl) > 0 {
		lp, pts, err := plotter.NewLinePoints(ppl)
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		bottom.Add(lp, pts)
		lo, hi := ppl[0].Y, ppl[0].Y
		for _, p := range ppl {
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
		if hi > 10*lo {
			bottom.Y.Scale = plot.LogScale{}
			bottom.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		}
	}
	top.X.Tick.Marker, bottom.X.Tick.Marker = stepTicks{}, stepTicks{}
	// Both panels share the x range so steps line up.
	xmin, xmax := math.Min(top.X.Min, bottom.X.Min), math.Max(top.X.Max, bottom.X.Max)
	top.X.Min, bottom.X.Min, top.X.Max, bottom.X.Max = xmin, xmin, xmax, xmax

	img := vgimg.New(8*vg.Inch, 7*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(12), PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
	plots := [][]*plot.Plot{{top}, {bottom}}
	canvases := plot.Align(plots, tiles, dc)
	for j := range plots {
		plots[j][0].Draw(canvases[j][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return buf.Bytes(), nil
}

// WritePlot writes PlotPNG(records) to path atomically.
func WritePlot(path string, records []Record) error {
	png, err := PlotPNG(records)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, png); err != nil {
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
