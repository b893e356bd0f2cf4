/**
 * `s` search: what a query means and whether one packet matches it, pure so it is unit-tested.
 * The app walks the list from the selection (wrapping once) and asks `matchesColumns` first, which
 * only reads the index, and decodes nothing; only when the columns do not match does it read the
 * frame's bytes again for `matchesBytes`.
 *
 * A query is hex bytes when it starts with `0x` ("0x4500", "0x 45 00") or is two or more pairs of
 * hex digits separated by spaces or colons ("45 00", "de:ad:be:ef"), as Wireshark's Find Packet
 * "Hex value" takes them; anything else is text, found case-insensitively in the Source,
 * Destination, Protocol and Info columns (the explanation included) or as ASCII in the bytes.
 */
export type SearchQuery = { kind: 'text'; text: string; bytes: Uint8Array } | { kind: 'hex'; bytes: Uint8Array };

const PAIRS = /^[0-9a-f]{2}(?:[ :][0-9a-f]{2})+$/i;

/** The query for `input`, or a message saying why there is none. */
export function parseSearch(input: string): SearchQuery | { error: string } {
  const t = input.trim();
  if (t === '') return { error: 'empty search' };
  if (/^0x/i.test(t) || PAIRS.test(t)) {
    const digits = t.replace(/^0x/i, '').replace(/[\s:]/g, '');
    if (!/^(?:[0-9a-f]{2})+$/i.test(digits)) return { error: `not hex bytes: ${t} (an even number of hex digits after 0x)` };
    const bytes = new Uint8Array(digits.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
    return { kind: 'hex', bytes };
  }
  const lower = t.toLowerCase();
  // Text is searched in the bytes as ASCII; other characters have no one-byte form, so such a
  // query keeps to the columns (an empty needle never matches bytes).
  const ascii = /^[\x20-\x7e]*$/.test(lower);
  const bytes = ascii ? Uint8Array.from(lower, (c) => c.charCodeAt(0)) : new Uint8Array(0);
  return { kind: 'text', text: lower, bytes };
}

export function matchesColumns(q: SearchQuery, columns: { source: string; destination: string; protocol: string; info: string; explanation: string }): boolean {
  if (q.kind !== 'text') return false;
  const c = columns;
  return [c.source, c.destination, c.protocol, c.info, c.explanation].some((v) => v.toLowerCase().includes(q.text));
}

/** Offset of the query in `data` (text: ASCII case-insensitively), or -1. */
export function matchesBytes(q: SearchQuery, data: Uint8Array): number {
  const needle = q.bytes;
  if (needle.length === 0) return -1;
  const fold = q.kind === 'text';
  const last = data.length - needle.length;
  outer: for (let i = 0; i <= last; i++) {
    for (let k = 0; k < needle.length; k++) {
      let b = data[i + k]!;
      // ASCII upper case to lower case; the needle is already lower case.
      if (fold && b >= 0x41 && b <= 0x5a) b += 0x20;
      if (b !== needle[k]) continue outer;
    }
    return i;
  }
  return -1;
}
