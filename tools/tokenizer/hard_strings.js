// hard_strings.js lists the hand-written hard cases of the tokenizer goldens.
// They are ours to commit (unlike the IMDB reviews), so the golden file keeps
// their text.
'use strict';

const hardStrings = [
  // Accents and combining marks.
  'Café naïve résumé façade Ångström Ærøskøbing',
  'ÀÁÂÃÄÅ àáâãäå ÇÈÉÊË çèéêë Ñ ñ Ø ø',
  'e\u0301 a\u0300\u0301\u0302 o\u0308\u0304',
  'Z\u0351\u0300a\u0364l\u0350g\u036Bo\u0489 text',
  'İstanbul ıi IĞDIR',
  'ǅungla ǈ ǋ ß ẞ',
  'ΣΊΣΥΦΟΣ Σίσυφος ὈΔΥΣΣΕΎΣ',
  'ﬁne ﬂour Ⅻ ⅻ ① ² ³ ½',
  'ｆｕｌｌｗｉｄｔｈ　ＡＢＣ！？',
  'Ⓐⓑ 𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  // Combining marks that NFD reorders (canonical ordering) and that survive
  // accent stripping (spacing marks; marks newer than the reference's tables).
  'x\u{1D16D}\u{1D165} y a\u{1D16D}\u0301\u{1D165}b c',
  'xa\u0301\u0316 b \u0316\u0301',
  'x\u{16FF0}\u{1D165} \u302F\u{1D165} \u1ABF\u0898',
  // CJK and other scripts.
  '日本語のテキストです。',
  '中文分词测试，很好！',
  '한국어 텍스트 입니다',
  '漢字かな交じり文 カタカナ ﾊﾝｶｸ',
  '\uF900\uFA0E\uFA2D compatibility ideographs',
  '𠀀𠀁𪜀 𫝀 supplementary ideographs',
  'Привет, мир! Ёлка',
  'مرحبا بالعالم، كيف حالك؟',
  'שָׁלוֹם עוֹלָם',
  'नमस्ते दुनिया',
  'สวัสดีชาวโลก',
  'Hello世界Мир123abc',
  'ქართული Հայերեն ᏣᎳᎩ',
  // Emoji.
  '😀 👍🏽 👨‍👩‍👧 🇫🇷 ❤️ ☺',
  'I ❤ NY, I 🥰 it 🫠',
  'great movie😂😂😂!!!',
  // Zero-width, control and format characters.
  'zero\u200Bwidth\u200Cnon\u200Djoiner',
  '\uFEFFBOM at start',
  'soft\u00ADhyphen and word\u2060joiner',
  'tab\there, line\nbreak, crlf\r\nend',
  'nul\u0000byte and bell\u0007 and del\u007F',
  '\u0001\u0002\u001F\u0085\u009F controls',
  '\u000Bvertical tab\u000Cform feed',
  'line\u2028separator\u2029paragraph',
  'no\u00A0break\u202Fnarrow\u3000ideographic\u2003em\u2009thin',
  'left\u200Eto\u200Fright\u202Aembed\u202C',
  'replacement \uFFFD char and \uFFFD\uFFFD',
  'private \uE000\uF8FF use',
  'variation\uFE0F selector',
  // Long words.
  'a'.repeat(100),
  'a'.repeat(101),
  'x'.repeat(250) + ' short',
  'é'.repeat(100) + ' ' + 'é'.repeat(101),
  'supercalifragilisticexpialidocious'.repeat(3),
  'pneumonoultramicroscopicsilicovolcanoconiosis',
  'antidisestablishmentarianism floccinaucinihilipilification',
  // Special tokens in text.
  'This is a great [MASK].',
  '[MASK][MASK] [MASK]',
  'x[MASK]y ([MASK]) [MASK]! "[MASK]"',
  '[mask] [ MASK ] [MASK [MASK\u200B] [[MASK]]',
  '[CLS] [SEP] [PAD] [UNK] inside text',
  '[unused0] [unused1] [unused993]',
  'The [MASK] was [UNK]believable[SEP]',
  // HTML and markup from IMDB.
  'Great film.<br /><br />Really.<br/>Yes<br>',
  '&amp; &lt;b&gt; &quot;quoted&quot; &#39;',
  '<i>Italic</i> and <b>bold</b>',
  // Numbers.
  '1,000,000 3.14159 12:30pm $1,234.56 1/2 10-20% 1e10 -5 +7',
  '٣٤٥ ۱۲۳ १२३ 一二三 ⅷ',
  '2nd 3rd 4th 1990s 80s \'90s',
  // Runs of punctuation.
  '!!!???...',
  '...',
  '-- — – ‐ - ―',
  '\'\'\' "" ``',
  '“smart quotes” ‘single’ «guillemets» ‹angle›',
  '¿Qué? ¡Hola! …etc… ※ • · ‣',
  '*spoilers* ~tilde~ ^caret^ |pipe| \\backslash\\ _under_score_',
  '@mention #hashtag $money %percent &and',
  '(1999) [sic] {braces} <angle>',
  // URLs and e-mail.
  'http://www.example.com/path?q=1&r=2#frag',
  'user.name+tag@example.co.uk',
  // Contractions and decoding cleanup.
  "don't can't won't I'm you're they've she's it'll we'd",
  "rock 'n' roll, ' quoted ' text",
  'I do not know , really . ok ? yes !',
  'hello , world . ok ? yes ! it \'s fine',
  '## ##ing # # #1',
  // Empty and whitespace only.
  '',
  ' ',
  '   \t\n  ',
  '\u0000',
  '\uFFFD',
  '\u200B',
  '\n\n\n',
  // Mixed.
  'The movie "Amélie" (2001) was 10/10 — c\'est magnifique!!! 😍',
  'IMDB rating: 7.5/10 ★★★☆☆',
  'Mr. & Mrs. Smith vs. Dr. No, i.e. e.g. a.k.a.',
];

module.exports = {hardStrings};
