package nn

import "strings"

// IsLayerNormParam reports whether the parameter named name belongs to a
// LayerNorm in transformers' naming: BERT-style "LayerNorm" and DistilBERT's
// "*_layer_norm" (sa_layer_norm, output_layer_norm, vocab_layer_norm).
func IsLayerNormParam(name string) bool {
	return strings.Contains(name, "LayerNorm") || strings.Contains(name, "layer_norm")
}

// NoDecay reports whether the parameter named name is exempt from weight
// decay, as in transformers' Trainer (get_decay_parameter_names): biases and
// LayerNorm parameters.
func NoDecay(name string) bool {
	return strings.Contains(name, "bias") || IsLayerNormParam(name)
}
