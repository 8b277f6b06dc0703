// Where the words of a search are in a text, without regard to case or accents (as the server
// matches them, CONTRACT.md §6): ranges of the original text, for <mark> elements.

const wordChar = /[\p{L}\p{N}]/u;

export interface Range {
  start: number;
  end: number;
}

/** Lower case, accents taken off, one character at a time; with where each folded character came from. */
function fold(text: string): { folded: string; origin: number[] } {
  let folded = "";
  const origin: number[] = [];
  let index = 0;
  for (const char of text) {
    const plain = char.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
    for (let i = 0; i < plain.length; i++) origin.push(index);
    folded += plain;
    index += char.length;
  }
  origin.push(index);
  return { folded, origin };
}

/** The words of a query, folded (the server's words are letters and digits). */
export function queryWords(query: string): string[] {
  return fold(query).folded.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/**
 * Each word of the text that a word of the query starts (the last one may be a prefix, so any
 * may be): the whole word is marked, as a reader sees what matched.
 */
export function highlightRanges(text: string, query: string): Range[] {
  const words = queryWords(query);
  if (!words.length) return [];
  const { folded, origin } = fold(text);
  const ranges: Range[] = [];
  for (const word of words) {
    for (let at = folded.indexOf(word); at >= 0; at = folded.indexOf(word, at + 1)) {
      if (at > 0 && wordChar.test(folded[at - 1]!)) continue;
      let end = at + word.length;
      while (end < folded.length && wordChar.test(folded[end]!)) end++;
      ranges.push({ start: origin[at]!, end: origin[end]! });
    }
  }
  ranges.sort((a, b) => a.start - b.start);
  const merged: Range[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}
