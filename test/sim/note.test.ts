import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { memorySink } from '../../src/capture/byte-output.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { NoteParts, NoteText } from '../../src/sim/note.js';
import { tmpFile } from '../capture/build.js';

/** The bytes encodeInto writes, in a buffer of exactly maxBytes (so an overrun would throw or be cut). */
function encoded(n: NoteParts): Uint8Array {
  const buf = new Uint8Array(n.maxBytes);
  const len = n.encodeInto(buf, 0);
  return buf.subarray(0, len);
}

describe('simulator notes in parts', () => {
  it('write exactly the UTF-8 of their text, for any number', () => {
    const head = new NoteText('ACK ');
    const tail = new NoteText(': every second full-sized segment is acknowledged at once (RFC 9293 §3.8.6.3)');
    const numbers = [0, 7, 9, 10, 99, 100, 1449, 2 ** 31 - 1, 2 ** 31, 4_294_967_295, 2 ** 53 - 1, -1, -(2 ** 31), 1.5, 1e-7, 1e21, NaN, Infinity];
    for (const v of numbers) {
      const n = new NoteParts([head, v, tail]);
      expect(String(n)).toBe(`ACK ${v}: every second full-sized segment is acknowledged at once (RFC 9293 §3.8.6.3)`);
      expect(Buffer.from(encoded(n)).toString('utf8')).toBe(String(n));
      expect(encoded(n)).toEqual(new Uint8Array(Buffer.from(String(n), 'utf8')));
    }
  });

  it('put texts and numbers in order, long and short texts alike', () => {
    const n = new NoteParts([new NoteText('data seq '), 1, new NoteText(' len '), 1448, new NoteText(' (slow start, cwnd 10 segments)'), 3]);
    expect(`${n}`).toBe('data seq 1 len 1448 (slow start, cwnd 10 segments)3');
    expect(Buffer.from(encoded(n)).toString('utf8')).toBe(`${n}`);
  });

  it('become the same pcapng comment as their text', async () => {
    const note = new NoteParts([new NoteText('lost at µs '), 123456789, new NoteText(' — §5')]);
    const files = [note, String(note)].map((comment) => {
      const m = memorySink();
      const w = new PcapngWriter(m.sink);
      w.addInterface({ linkType: 1 });
      w.writeFrame({ tsSec: 1, tsNsec: 2, data: Uint8Array.of(1, 2, 3), comments: [comment] });
      w.close();
      return m.bytes();
    });
    expect(files[0]).toEqual(files[1]);
    const c = await readCaptureFile(tmpFile('note-comment.pcapng', files[0]!));
    expect(c.frames[0]!.comments).toEqual(['lost at µs 123456789 — §5']);
  });
});
