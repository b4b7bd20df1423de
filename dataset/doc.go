// Package dataset turns raw text into the masked-language-model batches the
// trainer consumes, with the semantics of the Hugging Face course (chapter 7,
// section 3: "Fine-tuning a masked language model"):
//
//	load_dataset("imdb")                      -> ReadIMDB / ReadCorpus
//	map(tokenize_function, batched=True)      -> BuildChunks (tokenize, keep word ids)
//	map(group_texts, batched=True)            -> BuildChunks (per 1,000 documents)
//	train_test_split(10_000, 1_000, seed=42)  -> SplitTrainTest
//	DataCollatorForLanguageModeling(0.15)     -> Collator
//	whole_word_masking_data_collator          -> Collator{WholeWord: true}
//	insert_random_mask                        -> FixedMasked
//
// Prepare runs the first three steps end to end on all cores (an archive is
// tokenized while it is decompressed) and caches the grouped chunks on disk,
// so that a second run loads them in a fraction of a second. The cache is a
// compact binary file (2-byte ids when they fit), versioned, checksummed
// (CRC-32C) and keyed by the source's path, size and modification time, the
// split, the vocabulary hash, the chunk size and the preprocessing version; a stale or
// corrupt cache is rebuilt, never used, and caches are written atomically.
//
// # Document order
//
// The IMDB splits are read in the order of the Hugging Face "imdb" loading
// script that the course used (datasets 1.x: sorted(os.listdir) per class,
// "pos" before "neg"): train and test are the pos/*.txt files in byte order of
// their names followed by the neg/*.txt files in byte order; unsupervised is
// train/unsup/*.txt in byte order. This reproduces the course's printed first
// chunks (train/pos/0_9.txt "Bromwell High...", then train/pos/10000_8.txt
// "Homelessness...") and, with the tokenizer package, its chunk counts
// exactly: 61,289 train, 59,905 test and 122,963 unsupervised chunks of 128.
// Labels: neg 0, pos 1, unsup -1. The order matters only through the
// per-1,000-document grouping, which drops each group's remainder.
//
// # Randomness
//
// Every random choice (downsampling, masking) comes from a PCG-DXSM
// generator whose two seed words are derived from the user's seed and a
// (purpose, epoch, step) triple by SplitMix64, and every derived value
// (uniform floats, bounded integers) is computed from the generator's raw
// 64-bit outputs (internal/rng's Keyed, Float64, IntN and Perm), so a run is
// reproducible and resumable from any step, independently of the Go
// release. The order of the training chunks per epoch is the trainer's
// (trainer.EpochOrder).
//
// Shapes use llm.c letters: B batch, T time (sequence), V vocabulary.
package dataset
