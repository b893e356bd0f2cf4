/**
 * Storage for the packet list's column text that costs bytes, not objects. A JS string per column
 * per frame is ~40 bytes of header and pointers before its first character, and millions of them
 * make every major GC walk the lot; a 600k-packet capture held ~390 MB that way. Two stores replace
 * them:
 *
 * - InternTable: values with few distinct instances (addresses, protocol names) kept once, the
 *   frames holding a small integer id each;
 * - TextArena: values that differ per frame (Info, the explanation) as UTF-8 in 1 MiB chunks,
 *   decoded again only when a row is drawn (about fifty at a time).
 */

/** Each distinct string once; `id` gives its number, `value` the string back. */
export class InternTable {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];

  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  value(id: number): string {
    return this.values[id] ?? '';
  }

  get size(): number {
    return this.values.length;
  }
}

const CHUNK_BYTES = 1 << 20;
/**
 * An address is chunk × 2^32 + offset in the chunk: one double (exact to 2^53) per entry, and a
 * chunk may be as large as a Buffer can be for a rare huge string.
 */
const CHUNK_SPAN = 2 ** 32;

/**
 * Append-only UTF-8 text in chunks. A chunk is filled from the start and never reallocated, so
 * growing costs no copy and at most one partly filled chunk is wasted; a group of strings written
 * after one `reserve` sits in one chunk, one after the other, so a single address and the byte
 * lengths find each of them.
 */
export class TextArena {
  private readonly chunks: Buffer[] = [];
  private chunk: Buffer = Buffer.alloc(0);
  private used = 0;

  /**
   * Makes room for `texts` in the current chunk (a new chunk when they do not fit) and returns the
   * address the next `append` writes at.
   */
  reserve(texts: readonly string[]): number {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit; measure exactly only when that bound is too much.
    let need = 0;
    for (const t of texts) need += t.length * 3;
    if (this.used + need > this.chunk.length) {
      need = 0;
      for (const t of texts) need += Buffer.byteLength(t, 'utf8');
      if (this.used + need > this.chunk.length) {
        this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, need));
        this.chunks.push(this.chunk);
        this.used = 0;
      }
    }
    return (this.chunks.length - 1) * CHUNK_SPAN + this.used;
  }

  /** Writes `text` after the last one (room made by `reserve`); returns its length in bytes. */
  append(text: string): number {
    if (text.length === 0) return 0;
    const n = this.chunk.write(text, this.used, 'utf8');
    this.used += n;
    return n;
  }

  /** The `length` bytes at `address` + `skip`, decoded. */
  text(address: number, skip: number, length: number): string {
    if (length === 0) return '';
    const c = Math.floor(address / CHUNK_SPAN);
    const start = address - c * CHUNK_SPAN + skip;
    return this.chunks[c]!.toString('utf8', start, start + length);
  }

  /** Bytes held, partly filled chunks counted whole. */
  get bytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }
}
