package tokenizer

import "sort"

// trie is a double-array trie over the bytes of the vocabulary tokens. A
// WordPiece step walks it once along the word and remembers the last token
// end it passed, which finds the longest matching token in time linear in
// its length, with no string building or hashing.
//
// State s has children at index base(s)+c for byte c, valid when that
// node's check equals s. Node 0 is the root.
type trie struct {
	nodes []trieNode
}

type trieNode struct {
	base  int32 // children of this node start here (offset by the byte value)
	check int32 // parent state; -1 for a free slot
	value int32 // token id ending here, or -1
}

// buildTrie builds the trie of keys; ids[i] is the value of keys[i].
func buildTrie(keys []string, ids []int32) *trie {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	sorted := make([]string, len(keys))
	vals := make([]int32, len(keys))
	for i, o := range order {
		sorted[i], vals[i] = keys[o], ids[o]
	}

	b := &trieBuilder{t: &trie{}, keys: sorted, vals: vals}
	b.grow(1024)
	b.take(0) // the root
	b.t.nodes[0].check = 0
	b.place(0, 0, len(sorted), 0)
	t := b.t
	// Trim the free slots at the end: step checks the index against len.
	last := len(t.nodes) - 1
	for last > 0 && t.nodes[last].check < 0 {
		last--
	}
	t.nodes = t.nodes[:last+1]
	return t
}

// trieBuilder lays out a trie. Free slots form a doubly linked list
// (next/prev, with -1 as the end), so that finding room for a node's children
// only visits free slots.
type trieBuilder struct {
	t          *trie
	keys       []string
	vals       []int32
	next, prev []int32
	head, tail int32
}

// grow extends the arrays to n slots; new slots are free.
func (b *trieBuilder) grow(n int) {
	if len(b.next) == 0 {
		b.head, b.tail = -1, -1
	}
	for i := len(b.t.nodes); i < n; i++ {
		b.t.nodes = append(b.t.nodes, trieNode{check: -1, value: -1})
		b.next = append(b.next, -1)
		b.prev = append(b.prev, b.tail)
		if b.tail >= 0 {
			b.next[b.tail] = int32(i)
		} else {
			b.head = int32(i)
		}
		b.tail = int32(i)
	}
}

// take removes slot i from the free list.
func (b *trieBuilder) take(i int) {
	p, n := b.prev[i], b.next[i]
	if p >= 0 {
		b.next[p] = n
	} else {
		b.head = n
	}
	if n >= 0 {
		b.prev[n] = p
	} else {
		b.tail = p
	}
	b.next[i], b.prev[i] = -1, -1
}

// place lays out the children of state s, which stands for the common prefix
// of length depth of keys[lo:hi] (sorted), and recurses.
func (b *trieBuilder) place(s int32, lo, hi, depth int) {
	t := b.t
	// A key equal to the prefix ends here.
	if lo < hi && len(b.keys[lo]) == depth {
		t.nodes[s].value = b.vals[lo]
		lo++
	}
	if lo == hi {
		return
	}
	// Distinct next bytes and their key ranges.
	type child struct {
		c      byte
		lo, hi int
	}
	var kids []child
	for i := lo; i < hi; {
		c := b.keys[i][depth]
		j := i + 1
		for j < hi && b.keys[j][depth] == c {
			j++
		}
		kids = append(kids, child{c, i, j})
		i = j
	}
	// The first base that puts every child on a free slot: try the bases
	// that put the first child on each free slot in turn.
	base := -1
	for f := b.head; base < 0; {
		if f < 0 { // no room left: grow, and go on from the new slots
			old := len(t.nodes)
			b.grow(2 * old)
			f = int32(old)
			continue
		}
		cand := int(f) - int(kids[0].c)
		if cand >= 1 {
			b.grow(cand + 256 + 1)
			ok := true
			for _, k := range kids[1:] {
				if t.nodes[cand+int(k.c)].check >= 0 {
					ok = false
					break
				}
			}
			if ok {
				base = cand
			}
		}
		f = b.next[f]
	}
	t.nodes[s].base = int32(base)
	for _, k := range kids {
		t.nodes[base+int(k.c)].check = s
		b.take(base + int(k.c))
	}
	for _, k := range kids {
		b.place(int32(base+int(k.c)), k.lo, k.hi, depth+1)
	}
}

// step follows byte c from state s; ok is false when there is no such edge.
func (t *trie) step(s int32, c byte) (int32, bool) {
	n := t.nodes[s].base + int32(c)
	if uint(n) < uint(len(t.nodes)) && t.nodes[n].check == s {
		return n, true
	}
	return 0, false
}

// walk follows the bytes of p from the root; ok is false when p is not a
// prefix of any key.
func (t *trie) walk(s int32, p string) (int32, bool) {
	for i := 0; i < len(p); i++ {
		var ok bool
		if s, ok = t.step(s, p[i]); !ok {
			return 0, false
		}
	}
	return s, true
}

// longest returns the id and length of the longest key that, appended to the
// prefix that state s stands for, is a prefix of w; n is 0 when none is.
func (t *trie) longest(s int32, w []byte) (id int32, n int) {
	nodes := t.nodes
	for i := 0; i < len(w); i++ {
		next := nodes[s].base + int32(w[i])
		if uint(next) >= uint(len(nodes)) || nodes[next].check != s {
			break
		}
		s = next
		if v := nodes[s].value; v >= 0 {
			id, n = v, i+1
		}
	}
	return id, n
}
