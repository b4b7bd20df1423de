package modelcard

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// courseCard is the card of the course's run (3 epochs on IMDB from
// distilbert-base-uncased), with fixed versions so the text is stable.
func courseCard() Card {
	return Card{
		ModelName: "distilbert-finetuned-imdb", RepoID: "alice/distilbert-finetuned-imdb",
		BaseModel: "distilbert-base-uncased", Dataset: "imdb", DatasetIsHub: true,
		Hyperparameters: []Param{
			{"learning_rate", "2e-05"}, {"train_batch_size", "64"}, {"eval_batch_size", "64"}, {"seed", "42"},
			{"optimizer", "AdamW with betas=(0.9,0.999), epsilon=1e-08 and weight_decay=0.01"},
			{"lr_scheduler_type", "linear"}, {"num_epochs", "3"},
		},
		Results: []Row{
			{Epoch: 1, TrainLoss: 2.7026, HasEval: true, EvalLoss: 2.4957, Perplexity: 12.13},
			{Epoch: 2, TrainLoss: 2.5765, HasEval: true, EvalLoss: 2.4545, Perplexity: 11.64},
			{Epoch: 3, TrainLoss: 2.5285, HasEval: false},
		},
		HasFinal: true, FinalEvalLoss: 2.4264, FinalPerplexity: 11.32,
		Versions: []Param{{"distilgo", "v0.0.0 (commit 0123abc)"}, {"Go", "go1.24.0"}, {"kernels", "avx512"}},
	}
}

// TestRenderGolden compares the text with testdata/*.golden.md. The YAML
// front matter of the goldens was checked with PyYAML (yaml.safe_load,
// Debian python3-yaml) when they were written: it parses to the intended
// metadata, quoted name included.
func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name string
		card Card
	}{
		{"course", courseCard()},
		{"random_local_no_eval", Card{ModelName: "my run: v2", Dataset: "reviews.txt (1,000 lines)", License: "mit",
			Hyperparameters: []Param{{"seed", "1"}}, Results: []Row{{Epoch: 1, TrainLoss: math.NaN()}}}},
		{"bare_directory", Card{ModelName: "pushed", RepoID: "org/pushed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.card.Render()
			path := filepath.Join("testdata", tc.name+".golden.md")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./modelcard -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("card differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestYAMLString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"apache-2.0", "apache-2.0"},
		{"distilbert-base-uncased", "distilbert-base-uncased"},
		{"alice/distilbert-finetuned-imdb", "alice/distilbert-finetuned-imdb"},
		{"my run: v2", `"my run: v2"`},
		{"yes", `"yes"`},
		{"No", `"No"`},
		{"123", `"123"`},
		{"-x", `"-x"`},
		{"a\"b", `"a\"b"`},
		{"", `""`},
	}
	for _, tc := range tests {
		if got := yamlString(tc.in); got != tc.want {
			t.Errorf("yamlString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestYAMLFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{{2.42641, "2.4264"}, {math.NaN(), ".nan"}, {math.Inf(1), ".inf"}, {math.Inf(-1), "-.inf"}}
	for _, tc := range tests {
		if got := yamlFloat(tc.in); got != tc.want {
			t.Errorf("yamlFloat(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
