#!/usr/bin/env python3
"""Golden for dataset.BuildChunks: the Hugging Face course's group_texts
(chapter 7, section 3), applied as datasets' Dataset.map(batched=True)
applies it: to consecutive batches of `batch_size` rows.

The inputs are token lists, not texts (the tokenizer is tested on its own):
documents of varied lengths, each [CLS] ... [SEP] with word ids None for the
specials, including an empty document and one longer than a chunk. Small
sizes (chunk 7, groups of 5 documents) make every case of the grouping
appear: groups whose remainder is dropped, a last partial group, documents
spanning chunks.

Run by `make golden` (never by CI):
    python3 tools/dataset/group_texts_golden.py dataset/testdata/group_texts.json
"""
import json
import sys

CLS, SEP = 101, 102
CHUNK_SIZE = 7
BATCH_SIZE = 5  # datasets' map batch size; 1000 in the course
N_DOCS = 23


def tokenized_dataset():
    """Deterministic stand-in for tokenized_datasets["train"]."""
    rows = {"input_ids": [], "attention_mask": [], "word_ids": []}
    for i in range(N_DOCS):
        n_words = (i * 7 + 3) % 11  # 0..10 words; docs 9 and 20 have none
        if i == 13:
            n_words = 25  # longer than several chunks
        ids, wids = [CLS], [None]
        for w in range(n_words):
            pieces = 1 + (i + w) % 3  # words of 1 to 3 tokens
            for p in range(pieces):
                ids.append(1000 + (i * 131 + w * 17 + p) % 20000)
                wids.append(w)
        ids.append(SEP)
        wids.append(None)
        rows["input_ids"].append(ids)
        rows["attention_mask"].append([1] * len(ids))
        rows["word_ids"].append(wids)
    return rows


# The course's group_texts, verbatim.
chunk_size = CHUNK_SIZE


def group_texts(examples):
    # Concatenate all texts
    concatenated_examples = {k: sum(examples[k], []) for k in examples.keys()}
    # Compute length of concatenated texts
    total_length = len(concatenated_examples[list(examples.keys())[0]])
    # We drop the last chunk if it's smaller than chunk_size
    total_length = (total_length // chunk_size) * chunk_size
    # Split by chunks of max_len
    result = {
        k: [t[i : i + chunk_size] for i in range(0, total_length, chunk_size)]
        for k, t in concatenated_examples.items()
    }
    # Create a new labels column
    result["labels"] = result["input_ids"].copy()
    return result


def map_batched(rows, fn, batch_size):
    """datasets.Dataset.map(fn, batched=True, batch_size=batch_size)."""
    n = len(next(iter(rows.values())))
    out = {}
    for lo in range(0, n, batch_size):
        res = fn({k: v[lo : lo + batch_size] for k, v in rows.items()})
        for k, v in res.items():
            out.setdefault(k, []).extend(v)
    return out


def main():
    rows = tokenized_dataset()
    lm = map_batched(rows, group_texts, BATCH_SIZE)
    assert lm["labels"] == lm["input_ids"]
    assert all(m == [1] * CHUNK_SIZE for m in lm["attention_mask"])
    golden = {
        "chunk_size": CHUNK_SIZE,
        "group_docs": BATCH_SIZE,
        "docs": {"input_ids": rows["input_ids"], "word_ids": rows["word_ids"]},
        "chunks": {"input_ids": lm["input_ids"], "word_ids": lm["word_ids"]},
    }
    with open(sys.argv[1], "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
