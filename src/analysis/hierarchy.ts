/**
 * Protocol hierarchy statistics, as `tshark -q -z io,phs`: a tree of encapsulation paths
 * (eth → ip → tcp …) with the frames and bytes seen on each. Counting walks the layer list once
 * per packet; the tree is keyed by protocol name at each level.
 */
import type { Packet } from '../decode/layer.js';

export interface HierarchyNode {
  proto: string;
  frames: number;
  bytes: number;
  children: HierarchyNode[];
}

class Node {
  frames = 0;
  bytes = 0;
  /** In order of first appearance. An array, not a Map: a node has a handful of children and protocol names are interned constants, so a scan comparing references beats hashing. */
  readonly children: Node[] = [];
  constructor(readonly proto: string) {}

  /** The child for `proto`, with one more frame of `bytes` counted. */
  count(proto: string, bytes: number): Node {
    const c = this.child(proto);
    c.frames++;
    c.bytes += bytes;
    return c;
  }

  child(proto: string): Node {
    const cs = this.children;
    for (let i = 0; i < cs.length; i++) if (cs[i]!.proto === proto) return cs[i]!;
    const c = new Node(proto);
    cs.push(c);
    return c;
  }

  toJSON(): HierarchyNode {
    return {
      proto: this.proto,
      frames: this.frames,
      bytes: this.bytes,
      children: this.children.map((c) => c.toJSON()),
    };
  }
}

export class ProtocolHierarchy {
  private readonly root = new Node('frame');

  add(packet: Packet): void {
    const bytes = packet.frame.origLen;
    let node = this.root;
    node.frames++;
    node.bytes += bytes;
    const layers = packet.layers;
    const n = layers.length;
    // The first layers are read at sites of their own: each then sees the few classes that
    // dissect its depth (link, network, transport), where one loop's read sees them all, plus the
    // application stage's, too many for V8 to inline (a megamorphic load on every layer).
    if (n > 0) node = node.count(layers[0]!.proto, bytes);
    if (n > 1) node = node.count(layers[1]!.proto, bytes);
    if (n > 2) node = node.count(layers[2]!.proto, bytes);
    for (let i = 3; i < n; i++) node = node.count(layers[i]!.proto, bytes);
  }

  tree(): HierarchyNode {
    return this.root.toJSON();
  }

  /** Indented text, one protocol per line, like tshark's io,phs. */
  lines(): string[] {
    const out: string[] = [];
    const walk = (n: HierarchyNode, depth: number) => {
      const name = '  '.repeat(depth) + n.proto;
      out.push(`${name.padEnd(40)} frames:${n.frames} bytes:${n.bytes}`);
      for (const c of n.children) walk(c, depth + 1);
    };
    walk(this.tree(), 0);
    return out;
  }
}
