/**
 * The conversation table of the TCP and UDP trackers: canonical 5-tuple → entry, looked up once
 * per packet without building anything. IPv4 tuples are read from the frame as four integers and
 * found through a small integer hash with chaining; IPv6 ones (rarer, 36 bytes) use flows.ts's
 * canonical string key. Both directions of a tuple find the same entry; `lowToHigh` tells which
 * way the packet went, with the same rule as flows.ts (lower address first, then lower port).
 */
import type { Layer, Packet } from '../decode/layer.js';
import { flowKeyOf } from './flows.js';

/** What the table stores; the `flow*` slots are the table's own. */
export interface FlowEntry {
  flowLo: number;
  flowHi: number;
  flowPorts: number;
  flowNext: FlowEntry | undefined;
}

/** Buckets of the IPv4 table at first; doubled whenever entries outnumber buckets. */
const INITIAL_BUCKETS = 1024;

/** Mixes a canonical IPv4 tuple into 32 bits (multiplicative hashing: cheap, and spreads the low bits that differ between tuples). */
function hashV4(lo: number, hi: number, ports: number): number {
  return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(ports, 0xc2b2ae35)) >>> 0;
}

export class FlowTable<T extends FlowEntry> {
  /**
   * IPv4 entries chained through `flowNext` from a power-of-two bucket array indexed by the hash:
   * one array load per lookup where a Map keyed by the hash would hash the hash again and walk its
   * own chain (this runs once per packet).
   */
  private buckets: (T | undefined)[] = new Array<T | undefined>(INITIAL_BUCKETS).fill(undefined);
  private mask = INITIAL_BUCKETS - 1;
  private count = 0;
  private readonly other = new Map<string, T>();
  /** Set by `find`: the packet goes from the canonically lower endpoint to the higher one. */
  lowToHigh = false;
  private lo = 0;
  private hi = 0;
  private ports = 0;
  private hash = 0;
  private strKey: string | undefined;

  /** The entry for the packet's tuple, or undefined; remembers the tuple for a following `set`. */
  find(packet: Packet, network: Layer, transport: Layer): T | undefined {
    const d = packet.frame.data;
    const t = transport.offset;
    const sp = (d[t]! << 8) | d[t + 1]!;
    const dp = (d[t + 2]! << 8) | d[t + 3]!;
    if (network.proto !== 'ip') {
      // RFC 8200 addresses: the string key of flows.ts.
      const k = flowKeyOf(packet, true);
      this.strKey = k?.key ?? '';
      this.lowToHigh = k?.lowToHigh ?? true;
      return this.other.get(this.strKey);
    }
    this.strKey = undefined;
    const o = network.offset;
    // RFC 791 §3.1: source at 12, destination at 16.
    const s = ((d[o + 12]! << 24) | (d[o + 13]! << 16) | (d[o + 14]! << 8) | d[o + 15]!) >>> 0;
    const r = ((d[o + 16]! << 24) | (d[o + 17]! << 16) | (d[o + 18]! << 8) | d[o + 19]!) >>> 0;
    const low = s < r || (s === r && sp <= dp);
    this.lowToHigh = low;
    const lo = low ? s : r;
    const hi = low ? r : s;
    const ports = low ? sp * 65536 + dp : dp * 65536 + sp;
    this.lo = lo;
    this.hi = hi;
    this.ports = ports;
    const h = hashV4(lo, hi, ports);
    this.hash = h;
    for (let e = this.buckets[h & this.mask]; e; e = e.flowNext as T | undefined) {
      if (e.flowLo === lo && e.flowHi === hi && e.flowPorts === ports) return e;
    }
    return undefined;
  }

  /** Stores `entry` for the tuple of the last `find`, replacing what was there. */
  set(entry: T): void {
    entry.flowLo = this.lo;
    entry.flowHi = this.hi;
    entry.flowPorts = this.ports;
    entry.flowNext = undefined;
    if (this.strKey !== undefined) {
      this.other.set(this.strKey, entry);
      return;
    }
    const b = this.hash & this.mask;
    let head = this.buckets[b];
    // Unlink the entry this one replaces, if any.
    let prev: T | undefined;
    let replaced = false;
    for (let e = head; e; prev = e, e = e.flowNext as T | undefined) {
      if (e.flowLo === entry.flowLo && e.flowHi === entry.flowHi && e.flowPorts === entry.flowPorts) {
        if (prev) prev.flowNext = e.flowNext;
        else head = e.flowNext as T | undefined;
        replaced = true;
        break;
      }
    }
    entry.flowNext = head;
    this.buckets[b] = entry;
    if (!replaced && ++this.count > this.buckets.length) this.grow();
  }

  /** Doubles the bucket array and relinks every chain (a tuple occurs once, so chain order does not matter). */
  private grow(): void {
    const old = this.buckets;
    const size = old.length * 2;
    const buckets = new Array<T | undefined>(size).fill(undefined);
    const mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      for (let e = old[i]; e; ) {
        const next = e.flowNext as T | undefined;
        const b = hashV4(e.flowLo, e.flowHi, e.flowPorts) & mask;
        e.flowNext = buckets[b];
        buckets[b] = e;
        e = next;
      }
    }
    this.buckets = buckets;
    this.mask = mask;
  }
}
