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
  readonly children = new Map<string, Node>();
  constructor(readonly proto: string) {}

  toJSON(): HierarchyNode {
    return {
      proto: this.proto,
      frames: this.frames,
      bytes: this.bytes,
      children: [...this.children.values()].map((c) => c.toJSON()),
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
    for (const layer of packet.layers) {
      let child = node.children.get(layer.proto);
      if (!child) node.children.set(layer.proto, (child = new Node(layer.proto)));
      child.frames++;
      child.bytes += bytes;
      node = child;
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
