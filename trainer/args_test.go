package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

// Every field of Trajectory takes part in the resume comparison, named by
// its JSON name with both values: a field added later is covered without
// another edit.
func TestTrajectoryDiffNamesEveryField(t *testing.T) {
	base := DefaultArgs().Trajectory.recorded(1, tensor.FP32)
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		changed := base
		v := reflect.ValueOf(&changed).Elem().Field(i)
		switch v.Kind() {
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int:
			v.SetInt(v.Int() + 7)
		case reflect.Uint64:
			v.SetUint(v.Uint() + 7)
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.5)
		case reflect.String:
			v.SetString(v.String() + "x")
		default:
			t.Fatalf("field %s: kind %s not handled by this test", f.Name, v.Kind())
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		want := name + ": checkpoint " + format(reflect.ValueOf(base).Field(i)) + ", now " + format(v)
		if got := base.diff(changed); got != want {
			t.Errorf("%s changed: diff %q, want %q", f.Name, got, want)
		}
	}
	if d := base.diff(base); d != "" {
		t.Errorf("diff of equal trajectories: %q", d)
	}
}

func format(v reflect.Value) string { return fmt.Sprint(v.Interface()) }

// The "args" of a checkpoint written before Trajectory (RunArgs, no
// precision) read back and re-encode to the same bytes, and match a run at
// either precision (it did not record one); a recorded precision must match.
func TestTrajectoryReadsOldCheckpoints(t *testing.T) {
	const old = `{"seed":42,"epochs":3,"max_steps":0,"learning_rate":0.00002,"weight_decay":0.01,"adam_beta1":0.9,"adam_beta2":0.999,"adam_epsilon":1e-8,"batch_size":64,"grad_accum":1,"warmup_steps":0,"max_grad_norm":1,"mlm_probability":0.15,"whole_word_masking":false}`
	var got Trajectory
	if err := json.Unmarshal([]byte(old), &got); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(old, string(again)); d != "" {
		t.Errorf("re-encoded old args differ (-old +new):\n%s", d)
	}
	for _, p := range []tensor.Precision{tensor.FP32, tensor.BF16} {
		now := DefaultArgs().Trajectory.recorded(1, p)
		if d := got.diff(now); d != "" {
			t.Errorf("old checkpoint against a %s run: %s", p, d)
		}
	}
	fp32 := DefaultArgs().Trajectory.recorded(1, tensor.FP32)
	if d := fp32.diff(DefaultArgs().Trajectory.recorded(1, tensor.BF16)); d != "precision: checkpoint fp32, now bf16" {
		t.Errorf("recorded fp32 against bf16: diff %q", d)
	}
}

// A checkpoint written before the trajectory recorded the precision (its
// trainer_state.json args without "precision", manifest to match) resumes,
// and the run ends with the weights of an uninterrupted one, bit for bit.
func TestResumeFromCheckpointWithoutPrecision(t *testing.T) {
	full := newTinyTrainer(t, filepath.Join(t.TempDir(), "full"), 0.1)
	if _, err := full.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	first := newTinyTrainer(t, dir, 0.1)
	ctx, cancel := context.WithCancel(context.Background())
	first.OnStep = func(step int, _ float64) {
		if step == 5 {
			cancel()
		}
	}
	if _, err := first.Run(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	// Rewrite its checkpoint as an older distilgo wrote it.
	ckpt := checkpointDir(dir, 5)
	path := filepath.Join(ckpt, stateName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	args := st["args"].(map[string]any)
	if args["precision"] != "fp32" {
		t.Fatalf("checkpoint args %v: precision not recorded", args)
	}
	delete(args, "precision")
	if data, err = json.MarshalIndent(st, "", " "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var man manifest
	mdata, _ := os.ReadFile(filepath.Join(ckpt, manifestName))
	if err := json.Unmarshal(mdata, &man); err != nil {
		t.Fatal(err)
	}
	if man.Files[stateName], err = hashFile(path); err != nil {
		t.Fatal(err)
	}
	mdata, _ = json.Marshal(man)
	if err := os.WriteFile(filepath.Join(ckpt, manifestName), mdata, 0o644); err != nil {
		t.Fatal(err)
	}

	again := newTinyTrainer(t, dir, 0.1)
	again.Args.Resume = true
	sum, err := again.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.ResumedFrom != ckpt {
		t.Fatalf("resumed from %q, want %s", sum.ResumedFrom, ckpt)
	}
	if !slices.Equal(again.Model.Params.Data, full.Model.Params.Data) {
		t.Error("resumed run's weights differ from the uninterrupted run's")
	}
}
