/**
 * Escaping of wire-derived text for each output medium. Every renderer passes every string through
 * the escaper of its medium, whether or not the string came from the wire: simpler to audit.
 *
 * - terminal: control characters as \xHH (output/escape.ts), plus the Unicode bidirectional and
 *   invisible formatting characters, which can make a line read differently from what it holds
 *   (the "Trojan Source" trick, CVE-2021-42574);
 * - XML (SVG): the five predefined entities (XML 1.0 §2.4), and characters XML 1.0 cannot hold at
 *   all, not even as references (§2.2 Char: most C0 controls, U+FFFE, U+FFFF, lone surrogates),
 *   shown as \xHH / \u{…} text;
 * - Mermaid: '#' and ';' end a message's text in its lexer, '<' '>' reach the HTML label; all are
 *   written as Mermaid entity codes (#35; #59; #lt; #gt;), which Mermaid decodes before drawing;
 * - PlantUML: labels understand Creole markup ("**bold**", "//italic//", "--strike--" …), the
 *   "\n" escape, HTML-like tags and "@" directives; these characters are written as &#N; references;
 * - Markdown tables: '|' splits cells, and inline markup characters are backslash-escaped
 *   (CommonMark §2.4: any ASCII punctuation may be escaped).
 */
import { escapeControl } from '../output/escape.js';

// eslint-disable-next-line no-misleading-character-class
const BIDI = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

function uEscape(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

export function escapeTerminal(text: string): string {
  return escapeControl(text).replace(BIDI, uEscape);
}

// Lone surrogates and the two non-characters XML forbids.
const XML_BAD = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;

export function escapeXml(text: string): string {
  return escapeTerminal(text)
    .replace(XML_BAD, uEscape)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const MERMAID: Record<string, string> = { '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;', '%': '#37;', '"': '#quot;', '`': '#96;' };

export function escapeMermaid(text: string): string {
  return escapeTerminal(text).replace(/[#;<>%"`]/g, (c) => MERMAID[c]!);
}

const ref = (c: string) => `&#${c.charCodeAt(0)};`;

/** Creole markup is made of doubled characters: the first of each pair is written as a reference. */
export function escapePlantUml(text: string): string {
  return escapeTerminal(text)
    .replace(/[\\"<>~|[\]&@]/g, ref)
    .replace(/([*/_\-=^#'])(?=\1)/g, ref);
}

export function escapeMarkdown(text: string): string {
  return escapeTerminal(text).replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`);
}
