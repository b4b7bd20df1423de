package pipeline_test

import (
	"context"
	"fmt"
	"log"

	"github.com/distilgo/distilgo/pipeline"
)

// Load a model directory (or a Hub id such as "distilbert-base-uncased")
// and fill a mask, as transformers' pipeline("fill-mask") does. The model
// here is the tests' tiny random checkpoint, so its guesses are random.
func Example() {
	ctx := context.Background()
	fm, err := pipeline.Load(ctx, "../distilbert/testdata/tiny-hf", pipeline.Config{})
	if err != nil {
		log.Fatal(err)
	}
	res, err := fm.Predict(ctx, []string{"this movie is [MASK] !"}, pipeline.Options{TopK: 3})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range res[0].Masks[0] {
		fmt.Printf(">>> %s (%.3f)\n", p.Sequence, p.Score)
	}
	// Output:
	// >>> this movie is all! (0.158)
	// >>> this movie is h! (0.057)
	// >>> this movie is time! (0.042)
}

// Targets restrict the candidates (their scores stay probabilities over
// the whole vocabulary); HFOutput is the value to encode for the JSON that
// transformers' pipeline and the Hugging Face Inference API answer.
func ExampleFillMask_Predict_targets() {
	ctx := context.Background()
	fm, err := pipeline.Load(ctx, "../distilbert/testdata/tiny-hf", pipeline.Config{})
	if err != nil {
		log.Fatal(err)
	}
	texts := []string{"the [MASK] was boring .", "[MASK] movie is [MASK] ."}
	res, err := fm.Predict(ctx, texts, pipeline.Options{TopK: 2, Targets: []string{"movie", "film", "plot"}})
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range res {
		for m, preds := range r.Masks {
			for _, p := range preds {
				fmt.Printf("text %d mask %d: %s (token %d %q)\n", i, m, p.Sequence, p.Token, p.TokenStr)
			}
		}
	}
	out := pipeline.HFOutput(res).([]any) // one entry per text
	fmt.Printf("%T %T\n", out[0], out[1])
	// Output:
	// text 0 mask 0: the movie was boring. (token 63 "movie")
	// text 0 mask 0: the film was boring. (token 64 "film")
	// text 1 mask 0: [CLS] movie movie is [MASK]. [SEP] (token 63 "movie")
	// text 1 mask 0: [CLS] plot movie is [MASK]. [SEP] (token 77 "plot")
	// text 1 mask 1: [CLS] [MASK] movie is movie. [SEP] (token 63 "movie")
	// text 1 mask 1: [CLS] [MASK] movie is plot. [SEP] (token 77 "plot")
	// []pipeline.Prediction [][]pipeline.Prediction
}
