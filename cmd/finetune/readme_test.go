package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The README's run_mlm.py-style command line parses, without a note, to the
// course's arguments, and its alias table lists every alias.
func TestREADMECourseCommand(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	_, sec, ok := strings.Cut(text, "## Coming from transformers' run_mlm.py")
	if !ok {
		t.Fatal("README has no run_mlm.py section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	_, cmdText, ok := strings.Cut(sec, "    go run ./cmd/finetune ")
	if !ok {
		t.Fatal("README's run_mlm.py section has no command")
	}
	var args []string
	for _, line := range strings.Split(cmdText, "\n") {
		cont := strings.HasSuffix(line, `\`)
		args = append(args, strings.Fields(strings.TrimSuffix(line, `\`))...)
		if !cont {
			break
		}
	}
	got, notes, err := parseFor(t, args...)
	if err != nil || notes != "" {
		t.Fatalf("README command %q: %v %q", args, err, notes)
	}
	want, _, err := parseFor(t, "--output-dir", "distilbert-base-uncased-finetuned-imdb", "--overwrite", "--log-every", "156")
	if err != nil {
		t.Fatal(err)
	}
	got.set, want.set = nil, nil
	if d := cmp.Diff(want, got, cmp.AllowUnexported(trainFlags{}, dataFlags{}, pushFlags{})); d != "" {
		t.Errorf("README command vs the course's defaults (-want +got):\n%s", d)
	}
	for _, a := range trainAliases {
		if !strings.Contains(sec, "| `--"+a.hf+"` | `--"+a.flag+"` |") {
			t.Errorf("README's table lacks --%s -> --%s", a.hf, a.flag)
		}
	}
}
