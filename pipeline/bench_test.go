//go:build unix

package pipeline

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/shareddata"
	"github.com/distilgo/distilgo/tokenizer"
)

// benchTexts are the sentences of bench/serve (8 to 25 tokens).
var benchTexts = []string{
	"This is a great [MASK].",
	"I [MASK] this movie, the acting was superb.",
	"The plot was [MASK] and the ending made no sense at all.",
	"One of the worst [MASK] I have ever seen.",
	"The director clearly [MASK] what he was doing with this story.",
	"I would not recommend this film to [MASK].",
	"The music and the photography are [MASK], but the script is weak and the characters are flat.",
	"After twenty minutes I was [MASK].",
}

// BenchmarkPredict: fill-mask throughput of the distilbert-base-uncased-size
// model (random weights) on N texts per call, the batching cmd/serve does;
// texts/s at N = 32 over N = 1 is what dynamic batching can gain. One
// warm-up call outside the timing, so B/op and allocs/op are the steady
// state:
//
//	go test -run '^$' -bench Predict -benchtime 5x -benchmem ./pipeline/
func BenchmarkPredict(b *testing.B) {
	tok, err := tokenizer.LoadVocab(shareddata.Path(b, "bert-base-uncased/vocab.txt"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := distilbert.New(distilbert.DefaultConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(m, tok, Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 8, 32} {
		texts := make([]string, n)
		for i := range texts {
			texts[i] = benchTexts[i%len(benchTexts)]
		}
		b.Run(fmt.Sprintf("texts=%d", n), func(b *testing.B) {
			if _, err := f.Predict(context.Background(), texts, Options{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				if _, err := f.Predict(context.Background(), texts, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "texts/s")
			// CPU time per text depends far less than texts/s on what else
			// the machine runs (this one was shared when measured).
			b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(n*b.N), "cpu-ms/text")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
