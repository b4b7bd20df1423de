package hub

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The shard index's keys are matched exactly, as huggingface_hub reads
// index["weight_map"]: a differently cased key is no weight_map (Go's
// struct decoding would have taken it), and tensor names differing in case
// are distinct tensors.
func TestShardIndexKeysAreCaseSensitive(t *testing.T) {
	for _, in := range []string{`{"weight_mAp":{"0":"..0"}}`, `{"WEIGHT_MAP":{"a":"m.safetensors"}}`, `{"Weight_Map":{"a":"m.safetensors"}}`} {
		_, err := parseShardIndex([]byte(in))
		if want := "invalid weights index: empty or missing weight_map"; err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
	got, err := parseShardIndex([]byte(`{"weight_map":{"A":"x.safetensors","a":"y.safetensors"},"Weight_Map":{"b":"z.safetensors"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"x.safetensors", "y.safetensors"}, got); d != "" {
		t.Errorf("shards (-want +got):\n%s", d)
	}
}
