package trainer

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// The schedules against torch's LambdaLR running transformers' lr_lambda
// functions (testdata/schedules.json, tools/golden/gen_schedules.py): the
// learning rate of every step up to two past the end. Both sides compute
// base_lr * lambda(step) in float64 with the same operations; they differ
// only where Go's math.Cos and libm's cos round differently (an ulp of a
// value near 1, kept absolute by 1 + cos near the end of the cosine), so
// the tolerance is 4e-16 * base_lr: two ulps of a factor of 1.
func TestSchedulesMatchPyTorch(t *testing.T) {
	data, err := os.ReadFile("testdata/schedules.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name          string
		Warmup, Total int
		BaseLR        float64 `json:"base_lr"`
		LR            []float64
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 4*6 {
		t.Fatalf("%d cases in the golden, want 24", len(cases))
	}
	for _, tc := range cases {
		s, err := NewSchedule(tc.Name, tc.Warmup, tc.Total)
		if err != nil {
			t.Fatal(err)
		}
		for step, want := range tc.LR {
			got := tc.BaseLR * s.Factor(step)
			if math.Abs(got-want) > 4e-16*tc.BaseLR {
				t.Errorf("%s warmup %d total %d: step %d lr %v, torch %v", tc.Name, tc.Warmup, tc.Total, step, got, want)
			}
		}
	}
}

func TestNewScheduleErrors(t *testing.T) {
	if _, err := NewSchedule("polynomial", 0, 10); err == nil {
		t.Error("NewSchedule(polynomial): no error")
	}
	if s, err := NewSchedule("", 2, 10); err != nil || s != (LinearSchedule{2, 10}) {
		t.Errorf(`NewSchedule("") = %v, %v; want linear`, s, err)
	}
}

// transformers' get_warmup_steps: warmup_steps if > 0, else
// ceil(total * warmup_ratio).
func TestWarmupSteps(t *testing.T) {
	tests := []struct {
		steps int
		ratio float64
		total int
		want  int
	}{
		{0, 0, 471, 0},
		{0, 0.1, 471, 48},
		{10, 0.1, 471, 10},
		{0, 1, 5, 5},
	}
	for _, tc := range tests {
		if got := warmupSteps(tc.steps, tc.ratio, tc.total); got != tc.want {
			t.Errorf("warmupSteps(%d, %v, %d) = %d, want %d", tc.steps, tc.ratio, tc.total, got, tc.want)
		}
	}
}
