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
    for (let i = 0; i < layers.length; i++) {
      node = node.child(layers[i]!.proto);
      node.frames++;
      node.bytes += bytes;
    }
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
