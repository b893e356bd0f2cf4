/**
 * Format detection by magic number, never by file name (a pcapng file named .pcap is common).
 */
import { WirelensError } from '../errors.js';
import type { CaptureFormat } from './format.js';
import { PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC } from './pcap.js';
import { BT_SHB } from './pcapng.js';

/** Bytes needed to tell the formats apart. */
export const SNIFF_LEN = 4;

export function sniffFormat(head: Uint8Array): CaptureFormat | undefined {
  if (head.length < SNIFF_LEN) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC || be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) return 'pcap';
  // The SHB block type reads the same in both byte orders.
  if (be === BT_SHB) return 'pcapng';
  return undefined;
}

/** `48 65 6c 6c 6f "Hello"`: the first bytes in hex, then as text with anything unprintable escaped. */
export function describeHead(head: Uint8Array, max = 8): string {
  const b = head.subarray(0, max);
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
  let text = '';
  for (const x of b) {
    if (x === 0x22 || x === 0x5c) text += '\\' + String.fromCharCode(x);
    else if (x >= 0x20 && x < 0x7f) text += String.fromCharCode(x);
    else if (x === 0x0a) text += '\\n';
    else if (x === 0x0d) text += '\\r';
    else if (x === 0x09) text += '\\t';
    else text += '\\x' + x.toString(16).padStart(2, '0');
  }
  return `${hex} "${text}"`;
}

/** Known non-capture signatures worth a hint (people do feed compressed captures). */
function hint(head: Uint8Array): string {
  if (head[0] === 0x1f && head[1] === 0x8b) return '; it looks gzip-compressed, decompress it first';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return '; it looks zstd-compressed, decompress it first';
  return '';
}

export function notACaptureError(name: string, head: Uint8Array): WirelensError {
  if (head.length === 0) {
    return new WirelensError('WL_ERR_NOT_A_CAPTURE', `${name}: not a capture file (empty file); wirelens reads pcap and pcapng`, 0);
  }
  return new WirelensError(
    'WL_ERR_NOT_A_CAPTURE',
    `${name}: not a capture file (starts with ${describeHead(head)})${hint(head)}; wirelens reads pcap and pcapng`,
    0,
  );
}
