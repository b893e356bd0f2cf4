/**
 * Ground-truth notes for the packets the simulator sends most: a bulk transfer's data segments
 * ("data seq 1449 len 1448 (slow start, cwnd 12 segments)") and their ACKs. Such a note is kept as
 * its fixed texts, UTF-8 encoded once, and its numbers; the capture writes its bytes straight into
 * the file (pcapng `EncodedComment`). Building it as a string instead (numbers to text,
 * concatenation, then Buffer.write's UTF-8 encoding when written) took about twice as long: some
 * 160 ns against 90–130 ns for a data segment's note, out of about 2 µs per packet.
 *
 * A note reads as text wherever one is needed (`${note}`, String(note)): the bytes written are
 * exactly the UTF-8 of that text.
 */
import { Buffer } from 'node:buffer';
import type { EncodedComment } from '../capture/pcap-writer.js';

/** Fixed text of a note, encoded once: make one per template, not per packet. */
export class NoteText {
  readonly utf8: Uint8Array;
  constructor(readonly text: string) {
    this.utf8 = Buffer.from(text, 'utf8');
  }
}

/** Bytes a number may take as text: a safe integer has at most 16 digits and a sign; anything else is written by String(). */
const MAX_NUMBER_BYTES = 24;

/** A note made of fixed texts and numbers, in order. */
export class NoteParts implements EncodedComment {
  constructor(private readonly parts: readonly (NoteText | number)[]) {}

  get maxBytes(): number {
    let n = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i]!;
      n += typeof p === 'number' ? MAX_NUMBER_BYTES : p.utf8.length;
    }
    return n;
  }

  encodeInto(buf: Uint8Array, at: number): number {
    let q = at;
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i]!;
      if (typeof p === 'number') q = writeDecimal(buf, q, p);
      else {
        const b = p.utf8;
        // A short text by a loop; a longer one by set(), whose call costs about as much as 16 bytes copied.
        if (b.length <= 16) for (let k = 0; k < b.length; k++) buf[q + k] = b[k]!;
        else buf.set(b, q);
        q += b.length;
      }
    }
    return q - at;
  }

  toString(): string {
    let s = '';
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i]!;
      s += typeof p === 'number' ? String(p) : p.text;
    }
    return s;
  }
}

/** A packet's note: text, or parts encoded when the packet is recorded. */
export type Note = string | NoteParts;

/** Writes `v` as String(v) would, in ASCII digits; returns the position after it. */
function writeDecimal(buf: Uint8Array, at: number, v: number): number {
  // 31-bit integers (sequence numbers of transfers under 2 GB) in integer arithmetic; the rest as String() has them.
  if (!(v >= 0 && v <= 0x7fffffff && (v | 0) === v)) {
    const s = String(v);
    for (let k = 0; k < s.length; k++) buf[at + k] = s.charCodeAt(k);
    return at + s.length;
  }
  let digits = 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
  let x = v;
  for (let k = at + digits - 1; k >= at; k--) {
    const next = (x / 10) | 0;
    buf[k] = 0x30 + x - next * 10;
    x = next;
  }
  return at + digits;
}
