/**
 * Bytes from the wire never reach a terminal raw: a crafted packet could otherwise move the cursor,
 * retitle the window or worse (ANSI/OSC escape sequences). Control characters (C0, DEL, C1) are
 * shown as \xHH; tab and newline too, so one packet stays on one line.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function escapeControl(text: string): string {
  return hasControl(text) ? text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : text;
}

/** The same test as CONTROL, as a plain loop: nearly every line has nothing to escape, and this is cheaper than a regex test per line. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Printable ASCII view of bytes (hex dump style): anything outside 0x20..0x7e becomes '.'. */
export function asciiDots(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return s;
}
