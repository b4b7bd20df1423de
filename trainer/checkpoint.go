package trainer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/safetensors"
)

// Names in a checkpoint directory. The model files (config.json,
// model.safetensors) are those of a Hugging Face model directory, so a
// checkpoint also loads as a model.
const (
	// CheckpointPrefix starts the name of every checkpoint directory,
	// followed by the global step: "checkpoint-500".
	CheckpointPrefix = "checkpoint-"
	// manifestName is written last, listing the size and SHA-256 of every
	// other file; a checkpoint without a matching manifest is not valid.
	manifestName = "manifest.json"
	// stateName holds the State.
	stateName = "trainer_state.json"
	// optimizerName holds the AdamW moments as two 1-D F32 tensors,
	// "exp_avg" and "exp_avg_sq", in ParamSet order.
	optimizerName = "optimizer.safetensors"
	// manifestFormat identifies the checkpoint layout.
	manifestFormat = "distilgo-checkpoint/1"
)

// checkpointFiles are the files a valid checkpoint's manifest must list.
var checkpointFiles = []string{distilbert.ConfigFileName, safetensors.SingleFileName, optimizerName, stateName}

type manifest struct {
	Format     string             `json:"format"`
	GlobalStep int                `json:"global_step"`
	Files      map[string]fileSum `json:"files"`
}

type fileSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Checkpoint is a loaded checkpoint.
type Checkpoint struct {
	Dir   string
	State State
	// M and V are the optimizer moments.
	M, V []float32
	// Model is the saved model.
	Model *distilbert.ForMaskedLM
}

// checkpointDir returns the directory of the checkpoint of step under out.
func checkpointDir(out string, step int) string {
	return filepath.Join(out, CheckpointPrefix+strconv.Itoa(step))
}

// SaveCheckpoint writes the model, the optimizer moments and st into
// out/checkpoint-<st.GlobalStep> and returns that directory. The files are
// written into a temporary directory, each synced, then the manifest, then
// the directory is renamed into place: an interrupted save leaves only a
// temporary directory (removed by the next run) and never a checkpoint-N
// that loads. A previous checkpoint of the same step is replaced.
func SaveCheckpoint(out string, m *distilbert.ForMaskedLM, opt *AdamW, st *State) (dir string, err error) {
	if opt.Steps != st.GlobalStep {
		panic(fmt.Sprintf("trainer.SaveCheckpoint: optimizer at step %d, state at %d", opt.Steps, st.GlobalStep))
	}
	final := checkpointDir(out, st.GlobalStep)
	tmp, err := os.MkdirTemp(out, "."+filepath.Base(final)+".tmp-")
	if err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			err = fmt.Errorf("save checkpoint %s: %w", final, err)
		}
	}()
	if err := m.SaveDir(tmp); err != nil {
		return "", err
	}
	n := len(opt.M)
	moments := []safetensors.Tensor{
		{Name: "exp_avg", Shape: []int{n}, Data: opt.M},
		{Name: "exp_avg_sq", Shape: []int{n}, Data: opt.V},
	}
	if err := safetensors.Write(filepath.Join(tmp, optimizerName), moments, map[string]string{"step": strconv.Itoa(opt.Steps)}); err != nil {
		return "", err
	}
	st.Format = stateFormat
	data, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(tmp, stateName), data); err != nil {
		return "", err
	}
	man := manifest{Format: manifestFormat, GlobalStep: st.GlobalStep, Files: map[string]fileSum{}}
	for _, name := range checkpointFiles {
		sum, err := hashFile(filepath.Join(tmp, name))
		if err != nil {
			return "", err
		}
		man.Files[name] = sum
	}
	if data, err = json.MarshalIndent(man, "", " "); err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(tmp, manifestName), data); err != nil {
		return "", err
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	if _, serr := os.Lstat(final); serr == nil {
		// A checkpoint of this step from an abandoned run: move it aside
		// first (rename cannot replace a non-empty directory).
		old, err := os.MkdirTemp(out, "."+filepath.Base(final)+".old-")
		if err != nil {
			return "", err
		}
		if err := os.Rename(final, filepath.Join(old, "c")); err != nil {
			return "", err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	if err := syncDir(out); err != nil {
		return "", err
	}
	return final, nil
}

func hashFile(path string) (fileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileSum{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fileSum{}, fmt.Errorf("read %s: %w", path, err)
	}
	return fileSum{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// validateCheckpoint checks that dir is a complete checkpoint: a manifest
// of the known format whose step matches the directory name and that lists
// every required file with the size and SHA-256 the file has now.
func validateCheckpoint(dir string) (step int, err error) {
	step, ok := checkpointStep(filepath.Base(dir))
	if !ok {
		return 0, fmt.Errorf("%s: not a checkpoint directory name", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return 0, fmt.Errorf("%s: no manifest (incomplete save?): %w", dir, err)
	}
	var man manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return 0, fmt.Errorf("%s: corrupt manifest: %w", dir, err)
	}
	if man.Format != manifestFormat {
		return 0, fmt.Errorf("%s: manifest format %q, want %q", dir, man.Format, manifestFormat)
	}
	if man.GlobalStep != step {
		return 0, fmt.Errorf("%s: manifest is for step %d", dir, man.GlobalStep)
	}
	for _, name := range checkpointFiles {
		want, ok := man.Files[name]
		if !ok {
			return 0, fmt.Errorf("%s: manifest does not list %s", dir, name)
		}
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", dir, err)
		}
		if fi.Size() != want.Size {
			return 0, fmt.Errorf("%s: %s has %d bytes, the manifest says %d", dir, name, fi.Size(), want.Size)
		}
		got, err := hashFile(path)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", dir, err)
		}
		if got.SHA256 != want.SHA256 {
			return 0, fmt.Errorf("%s: %s does not match its SHA-256 in the manifest", dir, name)
		}
	}
	return step, nil
}

func checkpointStep(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, CheckpointPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// checkpointDirs returns the checkpoint-N directories under out, newest
// (highest N) first.
func checkpointDirs(out string) ([]string, error) {
	entries, err := os.ReadDir(out)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	type cand struct {
		dir  string
		step int
	}
	var cs []cand
	for _, e := range entries {
		if step, ok := checkpointStep(e.Name()); ok && e.IsDir() {
			cs = append(cs, cand{filepath.Join(out, e.Name()), step})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int { return b.step - a.step })
	dirs := make([]string, len(cs))
	for i, c := range cs {
		dirs[i] = c.dir
	}
	return dirs, nil
}

// LatestCheckpoint returns the newest valid checkpoint under out ("" when
// there is none) and one error per newer checkpoint that was skipped as
// invalid, for the caller to report as warnings.
func LatestCheckpoint(out string) (dir string, skipped []error, err error) {
	dirs, err := checkpointDirs(out)
	if err != nil {
		return "", nil, fmt.Errorf("list checkpoints: %w", err)
	}
	for _, d := range dirs {
		if _, err := validateCheckpoint(d); err != nil {
			skipped = append(skipped, err)
			continue
		}
		return d, skipped, nil
	}
	return "", skipped, nil
}

// LoadCheckpoint validates and reads the checkpoint in dir.
func LoadCheckpoint(dir string) (*Checkpoint, error) {
	step, err := validateCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	c := &Checkpoint{Dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, stateName))
	if err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	if err := json.Unmarshal(data, &c.State); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %s: %w", dir, stateName, err)
	}
	if c.State.Format != stateFormat {
		return nil, fmt.Errorf("load checkpoint %s: %s has format %q, want %q", dir, stateName, c.State.Format, stateFormat)
	}
	if c.State.GlobalStep != step {
		return nil, fmt.Errorf("load checkpoint %s: %s is at step %d", dir, stateName, c.State.GlobalStep)
	}
	if c.Model, err = distilbert.LoadDir(dir); err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	f, err := safetensors.Open(filepath.Join(dir, optimizerName))
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", dir, err)
	}
	defer f.Close()
	n := len(c.Model.Params.Data)
	for _, mv := range []struct {
		name string
		dst  *[]float32
	}{{"exp_avg", &c.M}, {"exp_avg_sq", &c.V}} {
		data, shape, err := f.Float32(mv.name)
		if err != nil {
			return nil, fmt.Errorf("load checkpoint %s: %s: tensor %q: %w", dir, optimizerName, mv.name, err)
		}
		if !slices.Equal(shape, []int{n}) {
			return nil, fmt.Errorf("load checkpoint %s: %s: tensor %q has shape %v, the model has %d parameters", dir, optimizerName, mv.name, shape, n)
		}
		*mv.dst = data
	}
	if s := f.Metadata()["step"]; s != strconv.Itoa(step) {
		return nil, fmt.Errorf("load checkpoint %s: %s is at step %q, want %d", dir, optimizerName, s, step)
	}
	return c, nil
}

// pruneCheckpoints keeps the newest keep valid checkpoints of steps up to
// current under out (keep <= 0 keeps all) and removes the older ones, and
// any incomplete checkpoint older than current. Checkpoints of later steps,
// left by an abandoned run, are not touched: the run replaces them when it
// gets there. Validity here is the manifest and the file sizes; the hashes
// are checked when a checkpoint is loaded.
func pruneCheckpoints(out string, keep, current int) error {
	if keep <= 0 {
		return nil
	}
	dirs, err := checkpointDirs(out)
	if err != nil {
		return err
	}
	kept := 0
	for _, d := range dirs {
		step, _ := checkpointStep(filepath.Base(d))
		if step > current {
			continue
		}
		if kept < keep && quickCheck(d, step) == nil {
			kept++
			continue
		}
		if step == current {
			continue // never remove what was just written
		}
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("remove old checkpoint: %w", err)
		}
	}
	return nil
}

// quickCheck is validateCheckpoint without the hashes.
func quickCheck(dir string, step int) error {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return err
	}
	var man manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return err
	}
	if man.Format != manifestFormat || man.GlobalStep != step {
		return errors.New("manifest mismatch")
	}
	for _, name := range checkpointFiles {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if fi.Size() != man.Files[name].Size {
			return errors.New("size mismatch")
		}
	}
	return nil
}

// removeStale deletes the temporary directories of interrupted saves.
func removeStale(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "."+CheckpointPrefix) && (strings.Contains(name, ".tmp-") || strings.Contains(name, ".old-")) {
			if err := os.RemoveAll(filepath.Join(out, name)); err != nil {
				return err
			}
		}
	}
	return nil
}
