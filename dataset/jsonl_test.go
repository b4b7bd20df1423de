package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMaskedJSONLRoundTrip(t *testing.T) {
	test := testChunks(t, 60, 16)
	col := &Collator{MLMProbability: 0.15, Tok: newFakeTok()}
	batches := FixedMasked(test, col, 8, 42)
	p := filepath.Join(t.TempDir(), "eval.jsonl")
	if err := WriteMaskedJSONL(p, batches); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	if n := bytes.Count(raw, []byte("\n")); n != test.Len() {
		t.Fatalf("%d lines, want one per example (%d)", n, test.Len())
	}
	ex, err := ReadMaskedJSONL(p)
	if err != nil {
		t.Fatal(err)
	}
	again := BatchExamples(ex, 8, fakePad)
	if len(again) != len(batches) {
		t.Fatalf("%d batches, want %d", len(again), len(batches))
	}
	for i := range batches {
		if diff := diffBatch(batches[i], again[i]); diff != "" {
			t.Errorf("batch %d: %s", i, diff)
		}
	}
}

// TestMaskedJSONLFormat pins the exact bytes: the format is for exchange
// with other tools (datasets' load_dataset("json") reads it).
func TestMaskedJSONLFormat(t *testing.T) {
	b := Batch{B: 2, T: 3,
		InputIDs:      []int32{101, 103, 102, 101, 7, 102},
		AttentionMask: []int32{1, 1, 1, 1, 1, 1},
		Labels:        []int32{-100, 2023, -100, -100, -100, -100},
	}
	p := filepath.Join(t.TempDir(), "x.jsonl")
	if err := WriteMaskedJSONL(p, []Batch{b}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	want := `{"input_ids":[101,103,102],"attention_mask":[1,1,1],"labels":[-100,2023,-100]}
{"input_ids":[101,7,102],"attention_mask":[1,1,1],"labels":[-100,-100,-100]}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBatchExamplesPads(t *testing.T) {
	ex := []Example{
		{[]int32{101, 5, 102}, []int32{1, 1, 1}, []int32{-100, 5, -100}},
		{[]int32{101, 102}, []int32{1, 1}, []int32{-100, -100}},
		{[]int32{101, 6, 7, 102}, []int32{1, 1, 1, 1}, []int32{-100, -100, 7, -100}},
	}
	got := BatchExamples(ex, 2, 0)
	want := []Batch{
		{B: 2, T: 3,
			InputIDs:      []int32{101, 5, 102, 101, 102, 0},
			AttentionMask: []int32{1, 1, 1, 1, 1, 0},
			Labels:        []int32{-100, 5, -100, -100, -100, -100}},
		{B: 1, T: 4,
			InputIDs:      []int32{101, 6, 7, 102},
			AttentionMask: []int32{1, 1, 1, 1},
			Labels:        []int32{-100, -100, 7, -100}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadMaskedJSONLErrors(t *testing.T) {
	dir := t.TempDir()
	line := `{"input_ids":[101,102],"attention_mask":[1,1],"labels":[-100,-100]}` + "\n"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"empty", "\n", "no examples"},
		{"syntax", line + "{\"input_ids\":[1,\n", "x.jsonl:2: unexpected end of JSON input"},
		{"missing labels", line + line + `{"input_ids":[1],"attention_mask":[1]}`, `x.jsonl:3: no "labels" array`},
		{"lengths", `{"input_ids":[1,2],"attention_mask":[1],"labels":[1,2]}`, "x.jsonl:1: lengths differ: input_ids 2, attention_mask 1, labels 2"},
		{"empty arrays", `{"input_ids":[],"attention_mask":[],"labels":[]}`, "x.jsonl:1: empty input_ids"},
		{"negative id", `{"input_ids":[1,-2],"attention_mask":[1,1],"labels":[1,2]}`, "x.jsonl:1: input_ids[1] = -2 is negative"},
		{"mask value", `{"input_ids":[1,2],"attention_mask":[1,2],"labels":[1,2]}`, "x.jsonl:1: attention_mask[1] = 2 is not 0 or 1"},
		{"label value", `{"input_ids":[1,2],"attention_mask":[1,1],"labels":[-1,2]}`, "x.jsonl:1: labels[0] = -1 is neither -100 nor a token id"},
		{"float", `{"input_ids":[1.5],"attention_mask":[1],"labels":[1]}`, "x.jsonl:1: json: cannot unmarshal number 1.5"},
		{"overflow", `{"input_ids":[3000000000],"attention_mask":[1],"labels":[1]}`, "x.jsonl:1: json: cannot unmarshal number 3000000000"},
		{"not UTF-8", "{\"input_ids\":[1],\"attention_mask\":[1],\"labels\":[1],\"x\":\"\xff\"}", "x.jsonl:1: invalid UTF-8 at byte 56"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, filepath.Join(dir, "x.jsonl"), []byte(tc.body))
			_, err := ReadMaskedJSONL(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := ReadMaskedJSONL(filepath.Join(dir, "missing.jsonl")); err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Errorf("missing file: error %v", err)
	}
}

func TestWriteMaskedJSONLAtomic(t *testing.T) {
	// Writing into a missing directory fails without leaving anything.
	dir := t.TempDir()
	p := filepath.Join(dir, "no", "x.jsonl")
	if err := WriteMaskedJSONL(p, nil); err == nil || !strings.Contains(err.Error(), "x.jsonl") {
		t.Errorf("error %v, want one naming the file", err)
	}
	// Overwriting replaces the whole file.
	p = filepath.Join(dir, "x.jsonl")
	os.WriteFile(p, bytes.Repeat([]byte("old\n"), 1000), 0o644)
	b := Batch{B: 1, T: 1, InputIDs: []int32{5}, AttentionMask: []int32{1}, Labels: []int32{5}}
	if err := WriteMaskedJSONL(p, []Batch{b}); err != nil {
		t.Fatal(err)
	}
	ex, err := ReadMaskedJSONL(p)
	if err != nil || len(ex) != 1 {
		t.Fatalf("%d examples, %v", len(ex), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func FuzzReadMaskedJSONL(f *testing.F) {
	f.Add([]byte(`{"input_ids":[101,103,102],"attention_mask":[1,1,1],"labels":[-100,2023,-100]}` + "\n"))
	f.Add([]byte(`{"input_ids":[1],"attention_mask":[0],"labels":[-100],"word_ids":[null]}` + "\r\n\n"))
	f.Add([]byte(`{"input_ids":[1e0],"attention_mask":[1],"labels":[1]}`))
	f.Add([]byte(`{"input_ids":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ex, err := parseMaskedJSONL(bytes.NewReader(data), "f.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl:") {
				t.Fatalf("error %q does not name the file and line", err)
			}
			return
		}
		for _, e := range ex {
			if err := e.validate(); err != nil {
				t.Fatalf("accepted an invalid example: %v", err)
			}
		}
		if len(ex) > 0 {
			// What is read can be batched, written and read back unchanged.
			p := filepath.Join(t.TempDir(), "x.jsonl")
			var batches []Batch
			for _, e := range ex {
				batches = append(batches, BatchExamples([]Example{e}, 1, 0)...)
			}
			if err := WriteMaskedJSONL(p, batches); err != nil {
				t.Fatal(err)
			}
			again, err := ReadMaskedJSONL(p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ex, again); diff != "" {
				t.Fatalf("rewrite changes examples:\n%s", diff)
			}
		}
	})
}
