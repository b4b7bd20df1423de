package trainer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"reflect"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
)

// stateFormat identifies the layout of trainer_state.json.
const stateFormat = "distilgo-trainer-state/1"

// State is the trainer's position in a run, saved in every checkpoint as
// trainer_state.json. With the model, the optimizer moments and the seed it
// determines the rest of the run (see the package comment on determinism).
type State struct {
	Format string `json:"format"`
	// GlobalStep is the number of optimizer steps done (the schedule
	// position: the next step uses LinearSchedule.Factor(GlobalStep)).
	GlobalStep int `json:"global_step"`
	// Epoch is the 0-based epoch of the next step and EpochStep the number
	// of its steps already done: the data position. The next step reads
	// micro-batches EpochStep*GradAccum onwards of EpochOrder(Seed, Epoch).
	Epoch     int `json:"epoch"`
	EpochStep int `json:"epoch_step"`
	// StepsPerEpoch and TotalSteps fix the schedule.
	StepsPerEpoch int `json:"steps_per_epoch"`
	TotalSteps    int `json:"total_steps"`
	// Args are the settings that determine the trajectory
	// (Trajectory.recorded); a resume with other values is refused.
	Args Trajectory `json:"args"`
	// Data identifies the training and evaluation data.
	Data DataID `json:"data"`
	// Running sums for the epoch's mean training loss and the current
	// logging window, over the steps that had masked tokens.
	EpochLossSum   float64 `json:"epoch_loss_sum"`
	EpochLossSteps int     `json:"epoch_loss_steps"`
	LogLossSum     float64 `json:"log_loss_sum"`
	LogLossSteps   int     `json:"log_loss_steps"`
	// TokensSeen counts input tokens trained on; ElapsedSec the training
	// time so far.
	TokensSeen int64   `json:"tokens_seen"`
	ElapsedSec float64 `json:"elapsed_s"`
	// LogHistory holds every log record up to this point.
	LogHistory []Record `json:"log_history"`
}

// DataID identifies a run's data by size and content hash.
type DataID struct {
	TrainChunks int    `json:"train_chunks"`
	ChunkSize   int    `json:"chunk_size"`
	TrainSHA256 string `json:"train_sha256"` // over the chunks' ids and word ids
	EvalBatches int    `json:"eval_batches"`
	EvalSHA256  string `json:"eval_sha256"` // over the masked batches
}

// identifyData hashes the training chunks and evaluation batches.
func identifyData(train *dataset.Chunks, eval []dataset.Batch) DataID {
	h := sha256.New()
	writeInt32s(h, train.IDs)
	writeInt32s(h, train.WordIDs)
	id := DataID{TrainChunks: train.Len(), ChunkSize: train.ChunkSize, TrainSHA256: hex.EncodeToString(h.Sum(nil)), EvalBatches: len(eval)}
	h.Reset()
	for _, b := range eval {
		writeInt32s(h, []int32{int32(b.B), int32(b.T)})
		writeInt32s(h, b.InputIDs)
		writeInt32s(h, b.AttentionMask)
		writeInt32s(h, b.Labels)
	}
	id.EvalSHA256 = hex.EncodeToString(h.Sum(nil))
	return id
}

func writeInt32s(h interface{ Write([]byte) (int, error) }, xs []int32) {
	buf := make([]byte, 0, 4096)
	for _, x := range xs {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(x))
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
}

// sameArchitecture returns an error naming the first setting in which two
// model configurations differ in a way that changes the parameters or the
// computation.
func sameArchitecture(ckpt, now distilbert.Config) error {
	type arch struct {
		VocabSize, Dim, NLayers, NHeads, HiddenDim, MaxPositionEmbeddings, PadTokenID int
		Dropout, AttentionDropout                                                     float64
		Activation                                                                    string
		TieWordEmbeddings                                                             bool
	}
	pick := func(c distilbert.Config) arch {
		return arch{c.VocabSize, c.Dim, c.NLayers, c.NHeads, c.HiddenDim, c.MaxPositionEmbeddings, c.PadTokenID,
			c.Dropout, c.AttentionDropout, c.Activation, c.TieWordEmbeddings}
	}
	a, b := reflect.ValueOf(pick(ckpt)), reflect.ValueOf(pick(now))
	for i := 0; i < a.NumField(); i++ {
		if a.Field(i).Interface() != b.Field(i).Interface() {
			return fmt.Errorf("model config differs from the checkpoint's: %s is %v in the checkpoint, %v now", a.Type().Field(i).Name, a.Field(i).Interface(), b.Field(i).Interface())
		}
	}
	return nil
}
