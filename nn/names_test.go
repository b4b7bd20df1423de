package nn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParamNameRules(t *testing.T) {
	type rules struct{ LayerNorm, NoDecay bool }
	tests := []struct {
		name string
		want rules
	}{
		{"distilbert.embeddings.word_embeddings.weight", rules{false, false}},
		{"distilbert.embeddings.position_embeddings.weight", rules{false, false}},
		{"distilbert.embeddings.LayerNorm.weight", rules{true, true}},
		{"distilbert.embeddings.LayerNorm.bias", rules{true, true}},
		{"distilbert.transformer.layer.0.attention.q_lin.weight", rules{false, false}},
		{"distilbert.transformer.layer.0.attention.q_lin.bias", rules{false, true}},
		{"distilbert.transformer.layer.0.sa_layer_norm.weight", rules{true, true}},
		{"distilbert.transformer.layer.0.sa_layer_norm.bias", rules{true, true}},
		{"distilbert.transformer.layer.5.ffn.lin1.weight", rules{false, false}},
		{"distilbert.transformer.layer.5.output_layer_norm.weight", rules{true, true}},
		{"vocab_transform.weight", rules{false, false}},
		{"vocab_layer_norm.weight", rules{true, true}},
		{"vocab_projector.weight", rules{false, false}},
		{"vocab_projector.bias", rules{false, true}},
		{"bert.encoder.layer.0.output.LayerNorm.weight", rules{true, true}},
	}
	for _, tt := range tests {
		got := rules{IsLayerNormParam(tt.name), NoDecay(tt.name)}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}
