#!/bin/sh
# bench.sh: package tokenizer against Hugging Face's Rust tokenizer (Node.js
# build @anush008/tokenizers 0.6.0) on the same 100,000 IMDB reviews
# (132 MB), on 1 and then 2 threads, interleaved so both see the same machine
# state. Both print the SHA-256 of all ids (identical output); TestIMDBAll
# checks ids, offsets and word ids against the reference.
#
# Usage, from anywhere: tools/tokenizer/bench.sh [ROUNDS]   (default 3)
# Needs: npm --prefix tools/tokenizer ci; the shared data folder.
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
go test -c -o /tmp/tokenizer.bench.test ./tokenizer/
for n in 1 2; do
	echo "== $n thread(s)"
	RAYON_NUM_THREADS=$n node tools/tokenizer/bench_rust.js "" "$rounds"
	(cd tokenizer && /tmp/tokenizer.bench.test -test.run '^$' -test.bench 'IMDB' \
		-test.cpu "$n" -test.count "$rounds" -test.benchtime 1x -test.v) | grep -E '^Benchmark|ids_sha256'
done
rm -f /tmp/tokenizer.bench.test
