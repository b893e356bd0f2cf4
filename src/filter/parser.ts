/**
 * Recursive-descent parser for Wireshark 4.0 display filters. Precedence, loosest first, as
 * tshark 4.0.17 evaluates it (`a or b and c` is `a or (b and c)`; `not a and b` is `(not a) and b`):
 *
 *   expr     := and ( ("or" | "||") and )*
 *   and      := unary ( ("and" | "&&") unary )*
 *   unary    := ("not" | "!") unary | "(" expr ")" | relation
 *   relation := operand [ relop operand | ["not"] "in" "{" element ( [","] element )* "}" ]
 *   operand  := WORD ["#" N] [slice] | WORD "(" operand ")" [slice] | STRING | CHAR
 *   element  := operand [ ".." operand ]
 *
 * Keywords are lower case only (tshark 4.0 rejects `AND`). Set elements may be separated by
 * commas (required by tshark 4.0) or, as in Wireshark 3.x and the example, by spaces.
 */
import type { Expr, FieldRef, Operand, Place, RelOp, SetElement, SliceRange } from './ast.js';
import { FilterError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

/** Relations by spelling: symbols and their word forms (wireshark-filter(4), "Comparison operators"). */
const RELATIONS: Record<string, RelOp> = {
  '==': '==',
  eq: '==',
  any_eq: '==',
  '!=': '!=',
  ne: '!=',
  all_ne: '!=',
  '===': '===',
  all_eq: '===',
  '!==': '!==',
  '~=': '!==',
  any_ne: '!==',
  '>': '>',
  gt: '>',
  '<': '<',
  lt: '<',
  '>=': '>=',
  ge: '>=',
  '<=': '<=',
  le: '<=',
  contains: 'contains',
  matches: 'matches',
  '~': 'matches',
  '&': '&',
  bitwise_and: '&',
};

const KEYWORDS = new Set(['and', 'or', 'not', 'in', ...Object.keys(RELATIONS).filter((k) => /^[a-z_]+$/.test(k))]);

export function parseFilter(filter: string): Expr {
  return new Parser(filter).parse();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly filter: string) {
    this.tokens = tokenize(filter);
  }

  parse(): Expr {
    if (this.peek().kind === 'eof') this.fail('the filter is empty: expected a field, a protocol or "(" ', this.peek());
    const e = this.orExpr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      const hint = t.kind === 'rparen' ? 'a ")" without its "("' : `"${this.show(t)}"`;
      this.fail(`unexpected ${hint}: expected "and", "or" or the end of the filter`, t);
    }
    return e;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  private isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text);
  }
  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === 'op' && ops.includes(t.text);
  }
  private show(t: Token): string {
    return t.kind === 'eof' ? 'end of filter' : this.filter.slice(t.pos, t.pos + t.len);
  }
  private fail(reason: string, t: Token | Place): never {
    const pos = t.pos;
    const len = 'len' in t ? t.len : 1;
    throw new FilterError('WL_ERR_FILTER_SYNTAX', reason, this.filter, pos, len);
  }
  private unexpected(t: Token, expected: string): never {
    if (t.kind === 'eof') this.fail(`the filter ends too early: expected ${expected}`, t);
    return this.fail(`unexpected "${this.show(t)}": expected ${expected}`, t);
  }

  private orExpr(): Expr {
    let left = this.andExpr();
    while (this.isWord(this.peek(), 'or') || this.isOp(this.peek(), '||')) {
      this.next();
      const right = this.andExpr();
      left = { type: 'or', left, right, ...span(left, right) };
    }
    return left;
  }

  private andExpr(): Expr {
    let left = this.unary();
    while (this.isWord(this.peek(), 'and') || this.isOp(this.peek(), '&&')) {
      this.next();
      const right = this.unary();
      left = { type: 'and', left, right, ...span(left, right) };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isWord(t, 'not') || this.isOp(t, '!')) {
      this.next();
      const expr = this.unary();
      return { type: 'not', expr, ...span(t, expr) };
    }
    if (t.kind === 'lparen') {
      this.next();
      const e = this.orExpr();
      const close = this.peek();
      if (close.kind !== 'rparen') this.unexpected(close, `")" to close the "(" at column ${t.pos + 1}`);
      this.next();
      return e;
    }
    return this.relation();
  }

  private relation(): Expr {
    const left = this.operand('a field, a protocol, "not" or "("');
    const t = this.peek();
    const negIn = this.isWord(t, 'not') && this.isWord(this.tokens[this.i + 1]!, 'in');
    if (this.isWord(t, 'in') || negIn) {
      this.next();
      if (negIn) this.next();
      const set = this.set();
      return { type: 'in', negated: negIn, left, set: set.elements, opPlace: { pos: t.pos, len: t.len }, ...span(left, set.end) };
    }
    const op = (t.kind === 'op' || t.kind === 'word') && Object.hasOwn(RELATIONS, t.text) ? RELATIONS[t.text]! : undefined;
    if (!op) {
      if (t.kind === 'op' && (t.text === '!' || t.text === '~' || t.text === '&')) this.unexpected(t, 'a comparison such as "==" or "contains"');
      return { type: 'test', operand: left, pos: left.pos, len: left.len };
    }
    this.next();
    const right = this.operand(`a value to compare with after "${t.text}"`);
    return { type: 'compare', op, left, right, opPlace: { pos: t.pos, len: t.len }, ...span(left, right) };
  }

  private set(): { elements: SetElement[]; end: Token } {
    const open = this.peek();
    if (open.kind !== 'lbrace') this.unexpected(open, '"{" starting a set such as {80, 443, 8000..8080}');
    this.next();
    const elements: SetElement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'rbrace') {
        if (elements.length === 0) this.fail('empty set: expected at least one value between "{" and "}"', t);
        this.next();
        return { elements, end: t };
      }
      if (t.kind === 'comma' && elements.length > 0) {
        this.next();
        if (this.peek().kind === 'rbrace') this.unexpected(this.peek(), 'a value after ","');
        continue;
      }
      const lo = this.operand('a value, a range such as 80..90, or "}"');
      if (this.peek().kind === 'range') {
        this.next();
        elements.push({ lo, hi: this.operand('the upper bound of the range after ".."') });
      } else elements.push({ lo });
    }
  }

  private operand(expected: string): Operand {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return { type: 'string', value: t.text, pos: t.pos, len: t.len };
    }
    if (t.kind === 'char') {
      this.next();
      return { type: 'char', value: t.text, pos: t.pos, len: t.len };
    }
    if (t.kind !== 'word' || KEYWORDS.has(t.text)) this.unexpected(t, expected);
    this.next();
    if (this.peek().kind === 'lparen') {
      this.next();
      const arg = this.operand(`an argument for ${t.text}()`);
      const close = this.peek();
      if (close.kind !== 'rparen') this.unexpected(close, `")" to close ${t.text}(`);
      this.next();
      const slice = this.slice();
      const end = this.tokens[this.i - 1]!;
      return { type: 'call', name: t.text, arg, slice, pos: t.pos, len: end.pos + end.len - t.pos };
    }
    const ref: FieldRef = { type: 'field', name: t.text, pos: t.pos, len: t.len };
    if (this.peek().kind === 'layer') {
      const l = this.next();
      ref.layer = Number(l.text);
      if (ref.layer === 0) this.fail('layer numbers start at 1 (ip.src#1 is the outer header); negative ones count from the innermost', l);
    }
    ref.slice = this.slice();
    const end = this.tokens[this.i - 1]!;
    ref.len = end.pos + end.len - t.pos;
    return ref;
  }

  /** `[i:n]` (n bytes from i), `[i-j]` (i to j inclusive), `[i]`, `[:n]`, `[i:]`, comma-separated; negative i counts from the end. */
  private slice(): SliceRange[] | undefined {
    const t = this.peek();
    if (t.kind !== 'slice') return undefined;
    this.next();
    const ranges: SliceRange[] = [];
    let at = t.pos + 1;
    for (const part of t.text.split(',')) {
      const p = part.trim();
      const bad = () =>
        this.fail(`bad slice "[${t.text}]": expected [start:length], [start-end], [start], [:length] or [start:], with whole numbers`, { pos: at, len: Math.max(1, part.length) });
      let m: RegExpExecArray | null;
      if ((m = /^(-?\d+)?:(\d+)?$/.exec(p))) {
        const from = m[1] === undefined ? 0 : Number(m[1]);
        ranges.push(m[2] === undefined ? { from } : { from, count: Number(m[2]) });
      } else if ((m = /^(-?\d+)-(-?\d+)$/.exec(p))) {
        const from = Number(m[1]);
        const last = Number(m[2]);
        if ((from >= 0) !== (last >= 0) || last < from) bad();
        ranges.push({ from, count: last - from + 1 });
      } else if ((m = /^(-?\d+)$/.exec(p))) {
        ranges.push({ from: Number(m[1]), count: 1 });
      } else bad();
      at += part.length + 1;
    }
    return ranges;
  }
}

function span(a: Place, b: Place): Place {
  return { pos: a.pos, len: b.pos + b.len - a.pos };
}
