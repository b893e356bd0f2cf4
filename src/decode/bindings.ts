/**
 * Every protocol's bindings, gathered into one set of tables. Each protocol file declares which
 * table keys it answers to (scapy's bind_layers); adding a protocol is one import and one spread.
 */
import { BindingTables, decodeFrame } from './driver.js';
import type { Frame } from '../capture/frame.js';
import type { Packet } from './layer.js';
import * as ethernet from '../wire/ethernet.js';

export const defaultTables = new BindingTables([...ethernet.bindings]);

/** Decodes a frame with the standard tables. */
export function decodePacket(frame: Frame): Packet {
  return decodeFrame(frame, defaultTables);
}
