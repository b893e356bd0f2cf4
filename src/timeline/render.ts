/** One entry point for every ladder renderer. */
import type { Ladder } from './ladder.js';
import { renderMermaid, renderPlantUml } from './render-diagram.js';
import { renderMarkdown } from './render-markdown.js';
import { renderSvg } from './render-svg.js';
import { renderText } from './render-text.js';

export type LadderFormat = 'text' | 'markdown' | 'mermaid' | 'plantuml' | 'svg';

export interface RenderOptions {
  ascii?: boolean;
  color?: boolean;
  scaleTime?: boolean;
}

export function renderLadder(ladder: Ladder, format: LadderFormat, options: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(ladder, { ascii: options.ascii === true, color: options.color === true });
    case 'markdown':
      return renderMarkdown(ladder, { ascii: options.ascii === true });
    case 'mermaid':
      return renderMermaid(ladder);
    case 'plantuml':
      return renderPlantUml(ladder);
    case 'svg':
      return renderSvg(ladder, { scaleTime: options.scaleTime === true });
  }
}
