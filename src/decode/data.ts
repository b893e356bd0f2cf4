/** Bytes no dissector claims: Wireshark's `data` protocol. Unknown link types and ethertypes end up here. */
import { bytesHex, FieldList, type Layer, type LayerStatus } from './layer.js';

export class DataLayer implements Layer {
  readonly proto = 'data';
  status: LayerStatus = 'ok';
  constructor(
    /** The frame's (or reassembled datagram's) bytes the layer lies in. */
    private readonly data: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}
  /** The bytes (a view; the captured ones: a data layer never reaches past them). */
  bytes(): Uint8Array {
    return this.data.subarray(this.offset, this.offset + this.length);
  }
  fields(payloadBytes = true) {
    const f = new FieldList();
    if (payloadBytes) f.add('data.data', bytesHex(this.bytes()), this.offset, this.length);
    return f.add('data.len', this.length, this.offset, this.length).items;
  }
}
