/**
 * Cell-width helpers for drawing: the panes are drawn as lines of blessed tags, so every piece of
 * text is cut to its column first (on the raw text, so that tags do not count) and then has its
 * braces escaped, because blessed reads `{…}` in content as a tag and wire text may contain them.
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

export function fitRight(text: string, width: number): string {
  const chars = [...text];
  return chars.length >= width ? fit(text, width) : ' '.repeat(width - chars.length) + text;
}

/** blessed's tag escape: `{` and `}` become the {open} and {close} tags. */
export function tagEscape(text: string): string {
  return text.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}
