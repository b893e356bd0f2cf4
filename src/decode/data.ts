/** Bytes no dissector claims: Wireshark's `data` protocol. Unknown link types and ethertypes end up here. */
import { FieldList, type Layer, type LayerStatus } from './layer.js';

export class DataLayer implements Layer {
  readonly proto = 'data';
  status: LayerStatus = 'ok';
  constructor(
    readonly offset: number,
    readonly length: number,
  ) {}
  fields() {
    return new FieldList().add('data.len', this.length, this.offset, this.length).items;
  }
}
