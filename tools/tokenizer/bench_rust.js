// bench_rust.js times Hugging Face's Rust tokenizer (Node.js build
// @anush008/tokenizers) on all 100,000 IMDB reviews: encodeBatch in batches
// of 1,000, ids read back, as the Go benchmarks of package tokenizer run.
// The thread count is RAYON_NUM_THREADS (the library's rayon pool).
//
// Usage: RAYON_NUM_THREADS=2 node tools/tokenizer/bench_rust.js [DATA_DIR] [ROUNDS]
'use strict';
const path = require('path');
const crypto = require('crypto');
const {Tokenizer} = require('@anush008/tokenizers');
const {readReviews} = require('./imdb');

const root = path.join(__dirname, '..', '..');
const dataDir = process.argv[2] || process.env.DISTILGO_DATA || path.join(root, '..', 'shared', 'data');
const rounds = Number(process.argv[3] || 3);

async function main() {
  const tok = Tokenizer.fromFile(path.join(dataDir, 'bert-base-uncased', 'tokenizer.json'));
  const reviews = readReviews(path.join(dataDir, 'imdb', 'aclImdb_v1.tar.gz'));
  const texts = reviews.map((r) => r.text);
  const bytes = reviews.reduce((n, r) => n + r.bytes.length, 0);
  const times = [];
  let tokens = 0, digest = '';
  for (let round = 0; round < rounds; round++) {
    const h = crypto.createHash('sha256');
    tokens = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < texts.length; i += 1000) {
      const encs = await tok.encodeBatch(texts.slice(i, i + 1000));
      for (const e of encs) {
        const ids = e.getIds();
        tokens += ids.length;
        h.update(Int32Array.from(ids));
      }
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    digest = h.digest('hex');
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({
    impl: 'rust (@anush008/tokenizers 0.6.0, encodeBatch x1000)',
    threads: process.env.RAYON_NUM_THREADS || 'default',
    reviews: texts.length, bytes, tokens, seconds: times,
    median_MBps: +(bytes / 1e6 / med).toFixed(2), median_reviews_per_s: Math.round(texts.length / med),
    ids_sha256: digest,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
