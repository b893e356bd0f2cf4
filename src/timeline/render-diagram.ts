/**
 * Ladder as diagram source: Mermaid `sequenceDiagram` and PlantUML sequence diagrams, for notes
 * and slides. Lanes become participants (declared with aliases P0, P1 … so that addresses never
 * meet the grammar), each packet a message numbered by frame with its time, its explanation a
 * note beside it, phases blocks (Mermaid `rect`, PlantUML `group`), collapsed runs a note across
 * the lanes (PlantUML: a delay `...text...`).
 *
 * Arrow kinds by style: Mermaid ->> normal, -->> retransmission (dotted), -) warning (open
 * arrow), -x error (cross); PlantUML ->, --> (dashed), ->> (thin), ->x (lost), each coloured.
 */
import { escapeMermaid, escapePlantUml } from './escape.js';
import type { ArrowStyle, Ladder, LadderArrow } from './ladder.js';
import type { Phase } from './explanation.js';

export interface DiagramOptions {
  /** Add each arrow's explanation as a note (default true). */
  notes?: boolean;
}

const MERMAID_ARROW: Record<ArrowStyle, string> = { normal: '->>', retransmission: '-->>', warning: '-)', error: '-x' };
const PHASE_RGB: Record<Phase, string> = {
  handshake: 'rgb(225, 238, 255)',
  data: 'rgb(238, 248, 232)',
  teardown: 'rgb(255, 243, 224)',
  abort: 'rgb(255, 228, 228)',
};

function messageText(a: LadderArrow): string {
  return `${a.frame} · ${a.label} (${a.time})`;
}

export function renderMermaid(ladder: Ladder, options: DiagramOptions = {}): string {
  const notes = options.notes ?? true;
  const out: string[] = ['sequenceDiagram'];
  if (ladder.title) out.push(`    title ${escapeMermaid(ladder.title)}`);
  for (const l of ladder.lanes) out.push(`    participant P${l.id} as ${escapeMermaid(l.label)}`);
  const span = (a: number, b: number) => (a === b ? `P${a}` : `P${Math.min(a, b)},P${Math.max(a, b)}`);
  for (const g of ladder.groups) {
    const block = g.phase !== undefined;
    const indent = block ? '        ' : '    ';
    if (block) out.push(`    rect ${PHASE_RGB[g.phase!]}`);
    let first = true;
    for (const row of g.rows) {
      if (row.kind === 'collapsed') {
        out.push(`${indent}Note over ${span(row.from, row.to)}: ${escapeMermaid(`${row.text} (frames ${row.firstFrame}–${row.lastFrame})`)}`);
        first = false;
        continue;
      }
      if (block && first) out.push(`${indent}Note over ${span(row.from, row.to)}: ${escapeMermaid(g.label)}`);
      first = false;
      out.push(`${indent}P${row.from}${MERMAID_ARROW[row.style]}P${row.to}: ${escapeMermaid(messageText(row))}`);
      if (notes) {
        const side = row.to >= row.from ? `right of P${row.to}` : `left of P${row.to}`;
        out.push(`${indent}Note ${side}: ${escapeMermaid(row.explanation.text)}`);
        for (const c of row.comments) out.push(`${indent}Note ${side}: ${escapeMermaid(`✎ ${c}`)}`);
      }
    }
    if (block) out.push('    end');
  }
  return out.join('\n') + '\n';
}

const PLANTUML_ARROW: Record<ArrowStyle, string> = { normal: '->', retransmission: '-[#d6336c]->', warning: '-[#e8a000]->>', error: '-[#c92a2a]->x' };

export function renderPlantUml(ladder: Ladder, options: DiagramOptions = {}): string {
  const notes = options.notes ?? true;
  const out: string[] = ['@startuml'];
  if (ladder.title) out.push(`title ${escapePlantUml(ladder.title)}`);
  out.push('skinparam sequenceMessageAlign left', 'skinparam noteBackgroundColor #FFFDE7');
  for (const l of ladder.lanes) out.push(`participant "${escapePlantUml(l.label)}" as P${l.id}`);
  for (const g of ladder.groups) {
    const block = g.phase !== undefined;
    if (block) out.push(`group ${escapePlantUml(g.label)}`);
    for (const row of g.rows) {
      if (row.kind === 'collapsed') {
        out.push(`...${escapePlantUml(`${row.text} (frames ${row.firstFrame}–${row.lastFrame})`).replace(/\.\.\./g, '&#46;..')}...`);
        continue;
      }
      out.push(`P${row.from} ${PLANTUML_ARROW[row.style]} P${row.to} : ${escapePlantUml(messageText(row))}`);
      if (notes) {
        const side = row.to >= row.from ? 'right' : 'left';
        out.push(`note ${side} : ${escapePlantUml(row.explanation.text)}`);
        for (const c of row.comments) out.push(`note ${side} #FFF59D : ${escapePlantUml(`✎ ${c}`)}`);
      }
    }
    if (block) out.push('end');
  }
  out.push('@enduml');
  return out.join('\n') + '\n';
}
