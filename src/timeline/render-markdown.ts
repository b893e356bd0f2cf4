/**
 * Ladder as a Markdown handout: a heading, the lanes, the ladder itself in a fenced text block
 * (monospace keeps the lanes aligned), then a table with one row per packet and its explanations,
 * phases as bold rows. Table cells are escaped for Markdown; the fence is longer than any run of
 * backticks in the ladder, so wire text cannot close it (CommonMark §4.5).
 */
import { escapeMarkdown, escapeTerminal } from './escape.js';
import type { Ladder } from './ladder.js';
import { renderText } from './render-text.js';

export interface MarkdownOptions {
  ascii?: boolean;
}

export function renderMarkdown(ladder: Ladder, options: MarkdownOptions = {}): string {
  const out: string[] = [];
  out.push(`# ${escapeMarkdown(ladder.title || 'Packet ladder')}`, '');
  out.push(...ladder.lanes.map((l) => `- **${String.fromCharCode(65 + (l.id % 26))}${l.id >= 26 ? l.id : ''}**: \`${escapeTerminal(l.label).replace(/`/g, "'")}\``), '');
  const text = renderText({ ...ladder, title: '' }, { ascii: options.ascii === true, color: false });
  let fence = '```';
  while (text.includes(fence)) fence += '`';
  out.push(`${fence}text`, text.trimEnd(), fence, '');
  const name = (id: number) => `${String.fromCharCode(65 + (id % 26))}${id >= 26 ? id : ''}`;
  out.push('| No. | Time | Flow | Packet | Explanation |', '|---:|---|---|---|---|');
  for (const g of ladder.groups) {
    if (g.phase !== undefined) out.push(`| | | | **${escapeMarkdown(g.label)}** | |`);
    for (const r of g.rows) {
      if (r.kind === 'collapsed') {
        out.push(`| ${r.firstFrame}–${r.lastFrame} | ${r.time} | ${name(r.from)} → ${name(r.to)} | | ${escapeMarkdown(r.text)} |`);
        continue;
      }
      const lines = [r.explanation, ...r.extra].map((e) => (e.severity === 'chat' ? escapeMarkdown(e.text) : `**${e.severity}:** ${escapeMarkdown(e.text)}`));
      for (const c of r.comments) lines.push(`✎ *note:* ${escapeMarkdown(c)}`);
      out.push(`| ${r.frame} | ${r.time} | ${name(r.from)} → ${name(r.to)} | ${escapeMarkdown(r.label)} | ${lines.join('<br>')} |`);
    }
  }
  return out.join('\n') + '\n';
}
