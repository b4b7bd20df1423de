// gen_golden.js writes the golden files of package tokenizer from Hugging
// Face's own tokenizer (the Rust tokenizers library compiled for Node.js,
// npm @anush008/tokenizers@0.6.0), loaded from the shared tokenizer.json of
// bert-base-uncased.
//
// Outputs, under tokenizer/testdata/:
//   hard_strings.jsonl   hand-written hard cases: text, ids, tokens, offsets,
//                        word ids, without special tokens, truncated and
//                        padded, and decoded (both skip settings)
//   imdb_golden.jsonl.gz every 50th IMDB review (sorted by member name) plus
//                        the 10 longest: member name, SHA-256 of the text,
//                        ids, offsets, word ids (never the text itself).
//                        Delta-coded to keep the file small: offsets is the
//                        flat list start-previous end, end-start per token;
//                        word_ids the difference from the previous word id
//                        (the first from -1).
//   imdb_chunks.json     SHA-256 of the encodings of all 100,000 reviews, in
//                        chunks of 1,000
//   variants.jsonl       the hard strings again under other BertNormalizer
//                        settings (cased; no cleaning and no CJK isolation)
//   codepoints.json      SHA-256 of the encodings of every code point, alone
//                        and inside a word, in chunks of 4,096
//
// Offsets are character (code point) offsets, as this binding reports them.
// The hash of a list of encodings is SHA-256 over, per encoding: count n
// (uint32 LE), n ids (int32 LE), n offset pairs (uint32 LE each), n word ids
// (int32 LE, -1 for none).
//
// Usage, from the repository root (run by `make golden`, never by CI):
//   npm --prefix tools/tokenizer ci && node tools/tokenizer/gen_golden.js [DATA_DIR]
// DATA_DIR defaults to $DISTILGO_DATA or ../shared/data. ONLY=hard,codepoints,imdb
// (comma-separated) regenerates only those parts.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const {Tokenizer} = require('@anush008/tokenizers');
const {readReviews} = require('./imdb');
const {hardStrings} = require('./hard_strings');

const root = path.join(__dirname, '..', '..');
const dataDir = process.argv[2] || process.env.DISTILGO_DATA || path.join(root, '..', 'shared', 'data');
const outDir = path.join(root, 'tokenizer', 'testdata');
const tokPath = path.join(dataDir, 'bert-base-uncased', 'tokenizer.json');
const only = process.env.ONLY ? new Set(process.env.ONLY.split(',')) : null;
const want = (part) => !only || only.has(part);

// transformers' PreTrainedTokenizerBase.clean_up_tokenization, which
// BertTokenizerFast.decode applies after the Rust decoder.
function cleanUpTokenization(s) {
  return s.split(' .').join('.').split(' ?').join('?').split(' !').join('!').split(' ,').join(',')
    .split(" ' ").join("'").split(" n't").join("n't").split(" 'm").join("'m").split(" 's").join("'s")
    .split(" 've").join("'ve").split(" 're").join("'re");
}

function plain(e) {
  return {
    ids: e.getIds(),
    tokens: e.getTokens(),
    offsets: e.getOffsets(),
    word_ids: e.getWordIds().map((w) => (w === null || w === undefined ? -1 : w)),
    attention_mask: e.getAttentionMask(),
  };
}

function hashEncodings(encs) {
  const h = crypto.createHash('sha256');
  for (const e of encs) {
    const n = e.ids.length;
    const b = Buffer.alloc(4 + 16 * n);
    let o = b.writeUInt32LE(n, 0);
    for (const id of e.ids) o = b.writeInt32LE(id, o);
    for (const [s, t] of e.offsets) { o = b.writeUInt32LE(s, o); o = b.writeUInt32LE(t, o); }
    for (const w of e.word_ids) o = b.writeInt32LE(w, o);
    h.update(b);
  }
  return h.digest('hex');
}

async function encodeAll(tok, texts) {
  const out = [];
  for (let i = 0; i < texts.length; i += 1000) {
    const encs = await tok.encodeBatch(texts.slice(i, i + 1000));
    for (const e of encs) out.push(plain(e));
  }
  return out;
}

async function main() {
  fs.mkdirSync(outDir, {recursive: true});
  const tok = Tokenizer.fromFile(tokPath);

  // Hard strings.
  if (want('hard')) {
    const lines = [];
    const trunc = Tokenizer.fromFile(tokPath);
    trunc.setTruncation(8);
    trunc.setPadding({maxLength: 12});
    for (const text of hardStrings) {
      const full = plain(await tok.encode(text));
      const bare = plain(await tok.encode(text, null, {addSpecialTokens: false}));
      const tp = plain(await trunc.encode(text));
      lines.push(JSON.stringify({
        text,
        ...full,
        no_special: {ids: bare.ids, offsets: bare.offsets, word_ids: bare.word_ids},
        max8_pad12: tp,
        decode: cleanUpTokenization(await tok.decode(full.ids, false)),
        decode_skip_special: cleanUpTokenization(await tok.decode(full.ids, true)),
      }));
    }
    fs.writeFileSync(path.join(outDir, 'hard_strings.jsonl'), lines.join('\n') + '\n');
    console.error(`hard_strings.jsonl: ${lines.length} cases`);
  }

  // Other normalizer settings.
  if (want('variants')) {
    const base = JSON.parse(fs.readFileSync(tokPath, 'utf8'));
    const variants = {
      // BertTokenizerFast(do_lower_case=False): strip_accents None follows lowercase.
      cased: {type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false},
      raw_strip: {type: 'BertNormalizer', clean_text: false, handle_chinese_chars: false, strip_accents: true, lowercase: false},
    };
    const lines = [];
    for (const [name, normalizer] of Object.entries(variants)) {
      const vt = Tokenizer.fromString(JSON.stringify({...base, normalizer}));
      for (const text of hardStrings) {
        const e = plain(await vt.encode(text));
        lines.push(JSON.stringify({variant: name, normalizer, text, ids: e.ids, offsets: e.offsets, word_ids: e.word_ids}));
      }
    }
    fs.writeFileSync(path.join(outDir, 'variants.jsonl'), lines.join('\n') + '\n');
    console.error(`variants.jsonl: ${lines.length} cases`);
  }

  // Every code point, alone (space-separated) and inside a word.
  if (want('codepoints')) {
    const chunk = 4096;
    const alone = [], inWord = [];
    for (let lo = 0; lo <= 0x10FFFF; lo += chunk) {
      const a = [], w = [];
      for (let cp = lo; cp < lo + chunk; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        const c = String.fromCodePoint(cp);
        a.push(c + ' ');
        w.push('a' + c + 'b ');
      }
      alone.push(a.join(''));
      inWord.push(w.join(''));
    }
    const ha = [], hw = [];
    for (const e of await encodeAll(tok, alone)) ha.push(hashEncodings([e]));
    for (const e of await encodeAll(tok, inWord)) hw.push(hashEncodings([e]));
    fs.writeFileSync(path.join(outDir, 'codepoints.json'), JSON.stringify({
      about: 'SHA-256 of the reference encoding of each chunk of 4096 code points (surrogates skipped): "alone" joins each character followed by a space, "in_word" joins "a" + character + "b ".',
      chunk, alone: ha, in_word: hw,
    }, null, 1) + '\n');
    console.error(`codepoints.json: ${ha.length} chunks`);
  }

  // IMDB reviews.
  if (want('imdb')) {
    const archive = path.join(dataDir, 'imdb', 'aclImdb_v1.tar.gz');
    const reviews = readReviews(archive);
    if (reviews.length !== 100000) throw new Error(`${archive}: ${reviews.length} reviews, want 100000`);
    const encs = await encodeAll(tok, reviews.map((r) => r.text));
    const chunk = 1000, hashes = [];
    let bytes = 0, tokens = 0;
    for (let i = 0; i < encs.length; i += chunk) hashes.push(hashEncodings(encs.slice(i, i + chunk)));
    for (let i = 0; i < encs.length; i++) { bytes += reviews[i].bytes.length; tokens += encs[i].ids.length; }
    fs.writeFileSync(path.join(outDir, 'imdb_chunks.json'), JSON.stringify({
      about: 'SHA-256 of the reference encodings of all IMDB reviews (aclImdb/{train,test}/{neg,pos,unsup}/*.txt in member-name order), in chunks.',
      reviews: reviews.length, bytes, tokens, chunk, hashes,
    }, null, 1) + '\n');
    console.error(`imdb_chunks.json: ${reviews.length} reviews, ${bytes} bytes, ${tokens} tokens`);

    const pick = new Set();
    for (let i = 0; i < reviews.length; i += 50) pick.add(i);
    const byLen = reviews.map((r, i) => [r.bytes.length, i]).sort((x, y) => y[0] - x[0]);
    for (const [, i] of byLen.slice(0, 10)) pick.add(i);
    const lines = [];
    for (const i of [...pick].sort((x, y) => x - y)) {
      const e = encs[i];
      const offsets = [], words = [];
      let prevEnd = 0, prevWord = -1;
      for (let k = 0; k < e.ids.length; k++) {
        const [s, t] = e.offsets[k];
        offsets.push(s - prevEnd, t - s);
        words.push(e.word_ids[k] - prevWord);
        prevEnd = t;
        prevWord = e.word_ids[k];
      }
      lines.push(JSON.stringify({
        member: reviews[i].name,
        sha256: crypto.createHash('sha256').update(reviews[i].bytes).digest('hex'),
        ids: e.ids, offsets, word_ids: words,
      }));
    }
    const gz = require('zlib').gzipSync(lines.join('\n') + '\n', {level: 9});
    fs.writeFileSync(path.join(outDir, 'imdb_golden.jsonl.gz'), gz);
    console.error(`imdb_golden.jsonl.gz: ${lines.length} reviews, ${gz.length} bytes`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
