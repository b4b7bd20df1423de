package trainer

import "testing"

func TestEpochTable(t *testing.T) {
	hist := []Record{
		{Kind: KindEval, Step: 0, EvalLoss: fptr(3), Perplexity: fptr(20.09)},
		{Kind: KindEpoch, Step: 157, Loss: fptr(2.7)},
		{Kind: KindEval, Step: 157, EvalLoss: fptr(2.5), Perplexity: fptr(12.18)},
		{Kind: KindEpoch, Step: 314, Loss: fptr(2.6)},
	}
	got := FormatEpochTable(EpochTable(hist))
	want := "Epoch | Training Loss | Validation Loss | Perplexity\n" +
		"1     | 2.700000      | 2.500000        | 12.18\n" +
		"2     | 2.600000      | -               | -\n"
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}
