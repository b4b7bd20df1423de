package dataset

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// Damage to the deflate data in the middle of the archive is reported as a
// corrupt gzip stream naming the archive (it used to read "archive/tar:
// invalid tar header"), wherever the damage is.
func TestReadIMDBCorruptDeflateInTheMiddle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("the movie was great bad plot acting film story ending actor scene")
	var members []member
	for i := range 150 {
		var b strings.Builder
		for range 40 + r.IntN(80) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		class := []string{"pos", "neg"}[i%2]
		members = append(members, member{fmt.Sprintf("aclImdb/train/%s/%d_%d.txt", class, i, 1+r.IntN(10)), b.String()})
	}
	good := tarGz(t, members)
	if _, err := readIMDB(writeFile(t, filepath.Join(t.TempDir(), "good.tar.gz"), good), []Split{Train}, nil); err != nil {
		t.Fatalf("intact archive: %v", err)
	}
	dir := t.TempDir()
	for i := range 24 {
		pos := len(good)/5 + i*(len(good)*3/5)/24
		bad := append([]byte(nil), good...)
		bad[pos] ^= 0x5a
		path := writeFile(t, filepath.Join(dir, fmt.Sprintf("bad%d.tar.gz", pos)), bad)
		_, err := readIMDB(path, []Split{Train}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "read IMDB "+path+": ") || !strings.Contains(err.Error(), ": the gzip stream is corrupt (") ||
			!strings.HasSuffix(err.Error(), "): the archive is damaged, download it again") {
			t.Errorf("byte %d of %d damaged: err = %v, want a corrupt gzip stream in %s", pos, len(good), err, path)
		}
	}
}
