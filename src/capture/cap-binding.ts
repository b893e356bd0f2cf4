/**
 * The optional `cap` npm package (libpcap bound into Node), loaded on first use only: it is an
 * optionalDependency whose native part may not have been built (no libpcap headers at install
 * time), and wirelens must work without it. See node_modules/cap/src/binding.cc for what it offers.
 */
import { createRequire } from 'node:module';

/** What binding.cc's Cap object does (its prototype is an EventEmitter). */
export interface CapHandle {
  /**
   * pcap_create + activate (snaplen 65535, promiscuous, immediate mode) + setfilter; returns the
   * link type as cap names it ('ETHERNET', 'LINKTYPE_LINUX_SLL', 'Unknown linktype N', …); throws
   * an Error with libpcap's message.
   */
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  /** `nbytes` bytes of the packet are in the open() buffer until the next event; `truncated` when the buffer was too small. */
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
}

/** pcap_findalldevs, as cap reports it. */
export interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr?: string; netmask?: string }[];
  flags?: string;
}

export interface CapModule {
  Cap: { new (): CapHandle; deviceList(): CapDevice[] };
}

export type CapLoad = { ok: true; binding: CapModule; path: string } | { ok: false; error: string };

/** The fix named wherever cap is missing. */
export const CAP_FIX = 'apt-get install libpcap-dev, then npm rebuild cap';

let loaded: CapLoad | undefined;

/** Loads `cap` once; never throws. */
export function loadCap(): CapLoad {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    const binding = require('cap') as CapModule;
    loaded = { ok: true, binding, path: require.resolve('cap') };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    loaded = { ok: false, error: msg };
  }
  return loaded;
}
