package trainer

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/distilgo/distilgo/dataset"
)

// The two eval losses, computed by hand. Tolerance 1e-12: float64 sums of
// a few terms.
func TestEvalAccumulator(t *testing.T) {
	type batch struct {
		sum              float64
		tokens, examples int
	}
	tests := []struct {
		name    string
		batches []batch
		want    EvalResult
	}{
		{"empty", nil, EvalResult{Perplexity: 1}},
		{"one", []batch{{6, 3, 4}}, EvalResult{Loss: 2, TokenLoss: 2, Perplexity: math.Exp(2), Tokens: 3, Examples: 4, Batches: 1}},
		{
			// Trainer: means 2 (weight 4) and 1 (weight 2): (8+2)/6.
			// Token-weighted: (6+10)/(3+10).
			"weighted", []batch{{6, 3, 4}, {10, 10, 2}},
			EvalResult{Loss: 10.0 / 6, TokenLoss: 16.0 / 13, Perplexity: math.Exp(10.0 / 6), Tokens: 13, Examples: 6, Batches: 2},
		},
		{
			// A batch without masked tokens has mean 0 and still weighs
			// its examples (never NaN).
			"no tokens", []batch{{6, 3, 4}, {0, 0, 4}},
			EvalResult{Loss: 1, TokenLoss: 2, Perplexity: math.E, Tokens: 3, Examples: 8, Batches: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a evalAccumulator
			for _, b := range tc.batches {
				a.Add(b.sum, b.tokens, b.examples)
			}
			if d := cmp.Diff(tc.want, a.Result(), cmpopts.EquateApprox(1e-12, 0)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestPerplexity(t *testing.T) {
	if p := perplexity(800); !math.IsInf(p, 1) {
		t.Errorf("perplexity(800) = %v, want +Inf", p)
	}
	if p := perplexity(math.Log(30522)); math.Abs(p-30522) > 1e-8 {
		t.Errorf("perplexity(ln 30522) = %v", p)
	}
	if p := perplexity(math.NaN()); !math.IsNaN(p) {
		t.Errorf("perplexity(NaN) = %v", p)
	}
	// An overflowing perplexity must still log and read back.
	r := Record{Kind: KindEval, Step: 3, EvalLoss: fptr(800), Perplexity: fptr(math.Inf(1)), EvalTokenLoss: fptr(math.NaN())}
	data, err := json.Marshal(&r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	want := `{"kind":"eval","step":3,"epoch":0,"eval_loss":800,"eval_token_loss":"NaN","perplexity":"+Inf","elapsed_s":0}`
	if string(data) != want {
		t.Errorf("JSON = %s, want %s", data, want)
	}
	var back Record
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(float64(*back.Perplexity), 1) || !math.IsNaN(float64(*back.EvalTokenLoss)) || *back.EvalLoss != 800 {
		t.Errorf("round trip = %+v", back)
	}
	var f Float
	if err := json.Unmarshal([]byte(`"x"`), &f); err == nil {
		t.Error("Float accepted a string that is not a number")
	}
}

// Evaluate agrees with the Trainer formula computed from per-batch model
// losses, and splitting the batches differently changes eval_loss but not
// the token-weighted loss (1e-6 relative: float32 per-batch sums).
func TestEvaluate(t *testing.T) {
	m := tinyModel(t, 0.1)
	test := tinyChunks(10, 8, 5)
	col := tinyCollator()
	by4 := dataset.FixedMasked(test, col, 4, 1) // batches of 4, 4, 2
	by5 := dataset.FixedMasked(test, col, 5, 1)
	r4, err := Evaluate(m, by4)
	if err != nil {
		t.Fatal(err)
	}
	r5, err := Evaluate(m, by5)
	if err != nil {
		t.Fatal(err)
	}
	if r4.Batches != 3 || r4.Examples != 10 || r4.Tokens == 0 || r4.Tokens != r5.Tokens {
		t.Fatalf("counts: %+v vs %+v", r4, r5)
	}
	if math.Abs(r4.TokenLoss-r5.TokenLoss) > 1e-6*r4.TokenLoss {
		t.Errorf("token-weighted loss depends on batching: %v vs %v", r4.TokenLoss, r5.TokenLoss)
	}
	// Manual Trainer aggregation from single-batch evaluations.
	var num, den float64
	for _, b := range by4 {
		r, err := Evaluate(m, []dataset.Batch{b})
		if err != nil {
			t.Fatal(err)
		}
		num += float64(b.B) * r.Loss
		den += float64(b.B)
	}
	if math.Abs(r4.Loss-num/den) > 1e-12 {
		t.Errorf("eval_loss %v, manual %v", r4.Loss, num/den)
	}
	if r4.Perplexity != math.Exp(r4.Loss) {
		t.Errorf("perplexity %v, want exp(%v)", r4.Perplexity, r4.Loss)
	}
	// Evaluation is deterministic and dropout is off even if the model was
	// in training mode.
	m.Train(true)
	again, _ := Evaluate(m, by4)
	if again != r4 {
		t.Errorf("second evaluation %+v differs from %+v", again, r4)
	}
}
