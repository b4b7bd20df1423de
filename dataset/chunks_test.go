package dataset

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/google/go-cmp/cmp"
)

// groupTextsRef is a literal transcription of the course's pipeline:
// tokenize every document, then for each batch of groupSize documents
// concatenate and keep total//chunkSize*chunkSize tokens.
func groupTextsRef(docs []Document, tok Tokenizer, chunkSize, groupSize int) *Chunks {
	c := &Chunks{ChunkSize: chunkSize, IDs: []int32{}, WordIDs: []int32{}}
	for lo := 0; lo < len(docs); lo += groupSize {
		var ids, wids []int32
		for _, d := range docs[lo:min(lo+groupSize, len(docs))] {
			ids, wids = tok.AppendIDs(ids, wids, d.Text)
		}
		total := len(ids) / chunkSize * chunkSize
		c.IDs = append(c.IDs, ids[:total]...)
		c.WordIDs = append(c.WordIDs, wids[:total]...)
	}
	return c
}

func TestBuildChunksMatchesReference(t *testing.T) {
	tok := newFakeTok()
	r := rng.Keyed(1, 0, 0, 0)
	docs := randomDocs(r, 2345, 60)
	docs[17].Text = "" // [CLS][SEP] only
	for _, tc := range []struct{ chunk, group, workers int }{
		{128, 1000, 1}, {128, 1000, 4}, {128, 1000, 7},
		{1, 1000, 3}, {7, 5, 3}, {512, 100, 2}, {100000, 1000, 2}, // 100000: every group too short: no chunks
	} {
		t.Run(fmt.Sprintf("chunk%d_group%d_workers%d", tc.chunk, tc.group, tc.workers), func(t *testing.T) {
			got, err := buildChunks(docs, tok, tc.chunk, tc.group, tc.workers)
			if err != nil {
				t.Fatal(err)
			}
			want := groupTextsRef(docs, tok, tc.chunk, tc.group)
			if diff := diffChunks(want, got); diff != "" {
				t.Errorf("buildChunks differs from the reference (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildChunksGolden compares with the course's group_texts run in
// Python through a simulation of datasets' batched map
// (tools/dataset/group_texts_golden.py). Integer data: exact equality.
func TestBuildChunksGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/group_texts.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		ChunkSize int `json:"chunk_size"`
		GroupDocs int `json:"group_docs"`
		Docs      struct {
			InputIDs [][]int32  `json:"input_ids"`
			WordIDs  [][]*int32 `json:"word_ids"`
		} `json:"docs"`
		Chunks struct {
			InputIDs [][]int32  `json:"input_ids"`
			WordIDs  [][]*int32 `json:"word_ids"`
		} `json:"chunks"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	noneToMinus1 := func(v []*int32) []int32 {
		out := make([]int32, len(v))
		for i, p := range v {
			out[i] = -1
			if p != nil {
				out[i] = *p
			}
		}
		return out
	}
	tok := &lookupTok{fakeTok: *newFakeTok()}
	docs := make([]Document, len(g.Docs.InputIDs))
	for i := range docs {
		docs[i] = Document{Text: fmt.Sprintf("doc%d", i)}
		tok.ids = append(tok.ids, g.Docs.InputIDs[i])
		tok.wids = append(tok.wids, noneToMinus1(g.Docs.WordIDs[i]))
	}
	want := &Chunks{ChunkSize: g.ChunkSize, IDs: []int32{}, WordIDs: []int32{}}
	for i := range g.Chunks.InputIDs {
		want.IDs = append(want.IDs, g.Chunks.InputIDs[i]...)
		want.WordIDs = append(want.WordIDs, noneToMinus1(g.Chunks.WordIDs[i])...)
	}
	for _, workers := range []int{1, 3} {
		got, err := buildChunks(docs, tok, g.ChunkSize, g.GroupDocs, workers)
		if err != nil {
			t.Fatal(err)
		}
		if diff := diffChunks(want, got); diff != "" {
			t.Errorf("workers %d: differs from the course's group_texts (-want +got):\n%s", workers, diff)
		}
	}
}

func TestBuildChunksErrors(t *testing.T) {
	good := []Document{{Text: "a good film", Source: "d0"}, {Text: "a bad film", Source: "d1"}}
	for _, tc := range []struct {
		name  string
		docs  []Document
		tok   Tokenizer
		chunk int
		want  string
	}{
		{"zero chunk size", good, newFakeTok(), 0, "chunk size 0 must be positive"},
		{"negative chunk size", good, newFakeTok(), -3, "chunk size -3 must be positive"},
		{"invalid UTF-8", []Document{good[0], {Text: "ok \xff", Source: "my.txt:2"}}, newFakeTok(), 4, "document 1 (my.txt:2): invalid UTF-8 at byte 3"},
		{"tokenizer lengths", good, &badTok{*newFakeTok()}, 4, "document 1 (d1): tokenizer returned different numbers of ids and word ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildChunks(tc.docs, tc.tok, tc.chunk)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestChunksAccessors(t *testing.T) {
	c := &Chunks{ChunkSize: 2, IDs: []int32{1, 2, 3, 4, 5, 6}, WordIDs: []int32{-1, 0, 1, 1, 2, -1}}
	if c.Len() != 3 {
		t.Fatalf("Len %d, want 3", c.Len())
	}
	ids, wids := c.Chunk(1)
	if diff := cmp.Diff([]int32{3, 4}, ids); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]int32{1, 1}, wids); diff != "" {
		t.Error(diff)
	}
	s := c.subset([]int{2, 0, 2})
	want := &Chunks{ChunkSize: 2, IDs: []int32{5, 6, 1, 2, 5, 6}, WordIDs: []int32{2, -1, -1, 0, 2, -1}}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("subset (-want +got):\n%s", diff)
	}
	s.IDs[0] = 99
	if c.IDs[4] != 5 {
		t.Error("subset shares memory with its source")
	}
	if (&Chunks{}).Len() != 0 {
		t.Error("zero Chunks not empty")
	}
}

func TestSplitTrainTest(t *testing.T) {
	const n, T = 500, 3
	c := &Chunks{ChunkSize: T}
	for i := range n * T {
		c.IDs = append(c.IDs, int32(i/T)) // chunk i holds id i: identifies it
		c.WordIDs = append(c.WordIDs, int32(i%T))
	}
	train, test, err := SplitTrainTest(c, 300, 50, 42)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 300 || test.Len() != 50 {
		t.Fatalf("sizes %d, %d; want 300, 50", train.Len(), test.Len())
	}
	seen := map[int32]bool{}
	for _, part := range []*Chunks{train, test} {
		for i := range part.Len() {
			ids, wids := part.Chunk(i)
			if ids[0] != ids[1] || ids[1] != ids[2] || wids[2] != 2 {
				t.Fatalf("chunk %v %v is not a whole source chunk", ids, wids)
			}
			if seen[ids[0]] {
				t.Fatalf("chunk %d drawn twice", ids[0])
			}
			seen[ids[0]] = true
		}
	}
	// The permutation is p; test = p[:50], train = p[50:350].
	p := rng.Keyed(42, rng.PurposeSplit, 0, 0).Perm(n)
	if got, want := test.IDs[0], int32(p[0]); got != want {
		t.Errorf("test[0] is chunk %d, want p[0] = %d", got, want)
	}
	if got, want := train.IDs[0], int32(p[50]); got != want {
		t.Errorf("train[0] is chunk %d, want p[50] = %d", got, want)
	}
	train2, test2, _ := SplitTrainTest(c, 300, 50, 42)
	if diffChunks(train, train2) != "" || diffChunks(test, test2) != "" {
		t.Error("same seed, different split")
	}
	train3, _, _ := SplitTrainTest(c, 300, 50, 43)
	if diffChunks(train, train3) == "" {
		t.Error("seeds 42 and 43 give the same split")
	}
	for _, tc := range []struct {
		train, test int
		want        string
	}{
		{400, 101, "train size 400 + test size 101 = 501 is more than the 500 chunks"},
		{-1, 3, "negative size"},
	} {
		if _, _, err := SplitTrainTest(c, tc.train, tc.test, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SplitTrainTest(%d, %d): error %v, want %q", tc.train, tc.test, err, tc.want)
		}
	}
}
