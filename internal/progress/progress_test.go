package progress

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf)
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
	p := New(&buf)
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
	if p := New(w); p.tty {
		t.Error("New went live on a pipe")
	}
}
