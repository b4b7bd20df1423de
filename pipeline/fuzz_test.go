package pipeline

import (
	"context"
	"errors"
	"testing"
)

// FuzzPredict: any text and target either give predictions that obey the
// pipeline's contract (at most top_k per [MASK], one list per [MASK],
// probabilities in [0, 1] best first, targets only) or an *InputError;
// never a panic. Seeds: testdata/fuzz/FuzzPredict and the f.Add lines.
func FuzzPredict(f *testing.F) {
	f.Add("the [MASK] was boring .", "", uint8(5))
	f.Add("[MASK] [MASK] [PAD] [CLS] x", "movie", uint8(2))
	f.Add("a\xff[MASK]\u00e9", "Film", uint8(0))
	f.Add("very very very very very very very very very very very very very very [MASK]", " ", uint8(1))
	fm := loadTiny(f, Config{MaxBatchTokens: 40})
	f.Fuzz(func(t *testing.T, text, target string, k uint8) {
		opts := Options{TopK: int(k % 12), Warn: func(string) {}}
		if target != "" {
			opts.Targets = []string{target, "film"}
		}
		res, err := fm.Predict(context.Background(), []string{text, "a [MASK] b"}, opts)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError", err)
			}
			return
		}
		want := orDefault(opts.TopK, DefaultTopK)
		for _, r := range res {
			if len(r.Masks) == 0 {
				t.Fatal("a result without masks")
			}
			for _, preds := range r.Masks {
				if len(preds) == 0 || len(preds) > want {
					t.Fatalf("%d predictions for top_k %d", len(preds), want)
				}
				for i, p := range preds {
					if !(p.Score >= 0 && p.Score <= 1) || i > 0 && p.Score > preds[i-1].Score {
						t.Fatalf("scores %v", preds)
					}
				}
				if opts.Targets != nil && len(preds) > 2 {
					t.Fatalf("%d predictions from 2 targets", len(preds))
				}
			}
		}
	})
}
