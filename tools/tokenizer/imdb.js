// imdb.js reads the reviews of the IMDB archive (aclImdb_v1.tar.gz) for the
// golden generator and the benchmark: a minimal ustar reader, since the
// archive holds only regular files and directories with short names.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const reviewName = /^aclImdb\/(train|test)\/(pos|neg|unsup)\/[^/]+\.txt$/;

// readReviews returns [{name, bytes, text}] for every review, in member-name
// order; text is bytes decoded as UTF-8.
function readReviews(archive) {
  const tar = zlib.gunzipSync(fs.readFileSync(archive));
  const out = [];
  for (let off = 0; off + 512 <= tar.length;) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break; // end of archive
    const field = (a, b) => h.subarray(a, b).toString('latin1').replace(/\0.*$/s, '');
    let name = field(0, 100);
    const prefix = field(345, 500);
    if (prefix) name = prefix + '/' + name;
    const size = parseInt(field(124, 136).trim(), 8);
    const type = String.fromCharCode(h[156] || 0x30);
    if (!['0', '5'].includes(type)) throw new Error(`${archive}: member ${name}: unsupported type ${type}`);
    const data = tar.subarray(off + 512, off + 512 + size);
    if (type === '0' && reviewName.test(name)) {
      out.push({name, bytes: data, text: data.toString('utf8')});
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

module.exports = {readReviews};
