package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/internal/shareddata"
	"github.com/google/go-cmp/cmp"
)

// outLine is one output line; word ids decode null as nil.
type outLine struct {
	InputIDs []int32  `json:"input_ids"`
	Tokens   []string `json:"tokens"`
	Offsets  [][2]int `json:"offsets"`
	WordIDs  []*int32 `json:"word_ids"`
	Line     int      `json:"line"`
	Error    string   `json:"error"`
}

func runLines(t *testing.T, args []string, input string) (int, []outLine, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code, err := run(args, strings.NewReader(input), &stdout, &stderr)
	if err != nil {
		stderr.WriteString(err.Error())
	}
	var lines []outLine
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var l outLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("output line %d is not JSON: %v: %s", len(lines)+1, err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	return code, lines, stderr.String()
}

// TestMatchesReference feeds the hand-written hard strings of package
// tokenizer and compares with the reference's goldens (exact: ids, tokens,
// character offsets, word ids).
func TestMatchesReference(t *testing.T) {
	vocab := shareddata.Path(t, "bert-base-uncased/vocab.txt")
	f, err := os.Open(filepath.Join("..", "..", "tokenizer", "testdata", "hard_strings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type golden struct {
		Text    string   `json:"text"`
		IDs     []int32  `json:"ids"`
		Tokens  []string `json:"tokens"`
		Offsets [][2]int `json:"offsets"`
		WordIDs []int32  `json:"word_ids"`
	}
	var cases []golden
	var input strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var g golden
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, g)
		line, _ := json.Marshal(map[string]any{"text": g.Text, "other": 1})
		input.Write(line)
		input.WriteByte('\n')
	}
	for _, args := range [][]string{{"--vocab", vocab}, {"-vocab", filepath.Dir(vocab)}} {
		code, lines, stderr := runLines(t, args, input.String())
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		if len(lines) != len(cases) {
			t.Fatalf("%v: %d output lines for %d inputs", args, len(lines), len(cases))
		}
		for i, g := range cases {
			var words []*int32
			for _, w := range g.WordIDs {
				if w < 0 {
					words = append(words, nil)
				} else {
					words = append(words, &w)
				}
			}
			want := outLine{InputIDs: g.IDs, Tokens: g.Tokens, Offsets: g.Offsets, WordIDs: words}
			if diff := cmp.Diff(want, lines[i]); diff != "" {
				t.Errorf("%v: line %d %q (-reference +got):\n%s", args, i+1, g.Text, diff)
			}
		}
	}
}

func TestBadLines(t *testing.T) {
	vocab := shareddata.Path(t, "bert-base-uncased/vocab.txt")
	input := strings.Join([]string{
		`{"text": "Hello"}`,
		`not json`,
		`{"text": 5}`,
		`{}`,
		``,
		`{"text": "x\u00e9"}`,
		`{"text": "[MASK]!"}`, // no newline at the end
	}, "\n")
	code, lines, stderr := runLines(t, []string{"--vocab", vocab}, input)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if len(lines) != 7 {
		t.Fatalf("%d output lines, want 7", len(lines))
	}
	for i, bad := range []bool{false, true, true, true, true, false, false} {
		if got := lines[i].Error != ""; got != bad {
			t.Errorf("line %d: error %q, want an error: %v", i+1, lines[i].Error, bad)
		}
		if bad && (lines[i].Line != i+1 || !strings.Contains(stderr, "line "+string(rune('1'+i))+":")) {
			t.Errorf("line %d: reported as line %d; stderr %q", i+1, lines[i].Line, stderr)
		}
	}
	// What the line should be, not the JSON decoder's message.
	for i, want := range map[int]string{1: "line 2: not a JSON object (want {\"text\": \"...\"} on each line)",
		2: `line 3: "text" is not a string`, 3: `line 4: no "text" field`, 4: "line 5: not a JSON object"} {
		if !strings.HasPrefix(lines[i].Error, want) || !strings.Contains(stderr, want) {
			t.Errorf("line %d: error %q, want %q (stderr %q)", i+1, lines[i].Error, want, stderr)
		}
	}
	if strings.Contains(stderr, "invalid character") {
		t.Errorf("the decoder's message leaks: %q", stderr)
	}
	if diff := cmp.Diff([]int32{101, 7592, 102}, lines[0].InputIDs); diff != "" {
		t.Errorf("line 1 ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][2]int{{0, 0}, {0, 6}, {6, 7}, {0, 0}}, lines[6].Offsets); diff != "" {
		t.Errorf("line 7 offsets (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "4 of 7 lines") {
		t.Errorf("stderr %q lacks the summary", stderr)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--vocab"}, {"--vocab", "x", "extra"}, {"--bogus"}} {
		var out, errb bytes.Buffer
		if code, _ := run(args, strings.NewReader(""), &out, &errb); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
	var out, errb bytes.Buffer
	code, err := run([]string{"--vocab", filepath.Join(t.TempDir(), "none.txt")}, strings.NewReader(""), &out, &errb)
	if code != 1 || err == nil || !strings.Contains(err.Error(), "none.txt") {
		t.Errorf("missing vocabulary: %d, %v", code, err)
	}
}
