/**
 * Display-filter errors. Every one points at a place in the filter text: the message shows the
 * filter on its own line with a caret (and tildes for the width of the offending token) under it,
 * the way tshark 4.0 underlines the part it could not use, so the user sees where to look.
 */
import { WirelensError, type ErrorCode } from '../errors.js';

export type FilterErrorCode = Extract<ErrorCode, 'WL_ERR_FILTER_SYNTAX' | 'WL_ERR_FILTER_FIELD' | 'WL_ERR_FILTER_TYPE'>;

export class FilterError extends WirelensError {
  constructor(
    code: FilterErrorCode,
    /** What was wrong, one line, without the filter text. */
    readonly reason: string,
    /** The whole filter. */
    readonly filter: string,
    /** Character offset of the problem in the filter. */
    readonly position: number,
    /** Characters to underline (at least 1). */
    readonly width = 1,
  ) {
    super(code, `display filter: ${reason}\n${underline(filter, position, width)}`);
    this.name = 'FilterError';
  }
}

/** The filter indented by two spaces, and a caret line under `position`. */
export function underline(filter: string, position: number, width: number): string {
  // Tabs and newlines would put the caret in the wrong column: show them as spaces.
  const text = filter.replace(/[\t\r\n]/g, ' ');
  const at = Math.max(0, Math.min(position, text.length));
  const w = Math.max(1, Math.min(width, Math.max(1, text.length - at)));
  return `  ${text}\n  ${' '.repeat(at)}^${'~'.repeat(w - 1)}`;
}
