/**
 * Compiles a parsed filter into a tree of closures over one packet: names are looked up once,
 * literals typed once, regular expressions built once. Nothing of the user's text is ever turned
 * into code (no eval, no Function).
 *
 * Semantics are tshark 4.0.17's, checked with `tshark -Y` on the corpus:
 *   a == b    some occurrence of a equals b ("any equal")
 *   a != b    a is present and no occurrence equals b ("all not equal"; 4.0 changed this from
 *             3.x's "any not equal", now spelled ~= or !==)
 *   a === b   a is present and every occurrence equals b
 *   a > b …   some occurrence compares so
 *   a in {…}  some occurrence is in the set; `not in` is the negation of `in`
 * A field that is absent makes every comparison false. CIDR blocks match with ==, != and in.
 */
import type { PacketAnalysis } from '../analysis/analyzer.js';
import type { Packet } from '../decode/layer.js';
import type { FrameClock } from '../capture/frame-clock.js';
import type { CallRef, Expr, FieldRef, Operand, Place, RelOp, SetElement, SliceRange } from './ast.js';
import { EvalContext, accessorFor, protocolAccessor, protocolHeaderLengths, type Accessor, type Test } from './access.js';
import { FilterError, type FilterErrorCode } from './errors.js';
import { lookupField, suggestFields, type FieldDef, type FieldType } from './fields.js';
import { parseFilter } from './parser.js';
import {
  SLICEABLE,
  article,
  TYPE_NAMES,
  bytesOf,
  compareValues,
  expectedFor,
  indexOfBytes,
  inNetwork,
  latin1,
  typeLiteral,
  valuesEqual,
  type Typed,
  type Value,
} from './values.js';

/** A compiled display filter. `matches` may be passed around on its own (it is bound). */
export interface PacketFilter {
  readonly text: string;
  /** True when the filter reads analysis fields (tcp.stream, tcp.analysis.*): run the Analyzer and pass its result. */
  readonly needsAnalysis: boolean;
  /** Registered names the filter reads, in order of appearance. */
  readonly fields: readonly string[];
  /** Of those, Wireshark's names wirelens never emits (FieldDef.undecoded): tests on them are never true. */
  readonly undecoded: readonly string[];
  /**
   * `clock`, advanced to the packet's frame, gives frame.time_relative, frame.time_delta and
   * frame.time_delta_displayed; without one they are absent.
   */
  readonly matches: (packet: Packet, analysis?: PacketAnalysis, clock?: FrameClock) => boolean;
}

/** Longest string or byte run a `matches` looks at: bounds the time any pattern can take per value. */
export const MAX_MATCH_INPUT = 65536;

type Pred = (c: EvalContext) => boolean;

/** A compiled operand that reads the packet. */
interface FieldOperand {
  kind: 'field';
  type: FieldType;
  /** For literal typing and messages: the field's name (with slice/function), type and value names. */
  def: { name: string; type: FieldType; valueStrings?: ReadonlyMap<number, string> };
  access: Accessor;
  place: Place;
}

interface LiteralOperand {
  kind: 'literal';
  how: 'word' | 'string' | 'char';
  text: string;
  place: Place;
}

type Compiled = FieldOperand | LiteralOperand;

const MIRROR: Partial<Record<RelOp, RelOp>> = { '==': '==', '!=': '!=', '===': '===', '!==': '!==', '>': '<', '<': '>', '>=': '<=', '<=': '>=' };
const ORDERED: ReadonlySet<FieldType> = new Set(['uint', 'int', 'float', 'time', 'string', 'ipv4', 'ipv6', 'ether', 'bytes', 'protocol']);
const BYTES_LIKE: ReadonlySet<FieldType> = new Set(['bytes', 'ether', 'protocol']);
const NUMERIC: ReadonlySet<FieldType> = new Set(['uint', 'int', 'float']);

export function compileFilter(text: string): PacketFilter {
  return new Compiler(text).compile();
}

class Compiler {
  private readonly names: string[] = [];
  private needsAnalysis = false;

  constructor(private readonly text: string) {}

  compile(): PacketFilter {
    const pred = this.expr(parseFilter(this.text));
    const ctx = new EvalContext();
    const matches = (packet: Packet, analysis?: PacketAnalysis, clock?: FrameClock): boolean => {
      ctx.reset(packet, analysis, clock);
      return pred(ctx);
    };
    const fields = [...new Set(this.names)];
    return { text: this.text, needsAnalysis: this.needsAnalysis, fields, undecoded: fields.filter((f) => lookupField(f)?.undecoded === true), matches };
  }

  private fail(code: FilterErrorCode, reason: string, at: Place): never {
    throw new FilterError(code, reason, this.text, at.pos, at.len);
  }

  private expr(e: Expr): Pred {
    switch (e.type) {
      case 'and': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        return (c) => l(c) && r(c);
      }
      case 'or': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        return (c) => l(c) || r(c);
      }
      case 'not': {
        const x = this.expr(e.expr);
        return (c) => !x(c);
      }
      case 'test': {
        const op = this.operand(e.operand);
        if (op.kind !== 'field') this.unknownName(op);
        const access = op.access;
        return (c) => access(c, TRUE);
      }
      case 'compare':
        return this.compare(e.op, this.operand(e.left), this.operand(e.right), e.opPlace);
      case 'in': {
        const left = this.operand(e.left);
        if (left.kind !== 'field') this.unknownName(left);
        const p = this.membership(left, e.set);
        return e.negated ? (c) => !p(c) : p;
      }
    }
  }

  // ---- operands ----

  private operand(o: Operand): Compiled {
    const place = { pos: o.pos, len: o.len };
    switch (o.type) {
      case 'string':
        return { kind: 'literal', how: 'string', text: o.value, place };
      case 'char':
        return { kind: 'literal', how: 'char', text: o.value, place };
      case 'literal':
        return { kind: 'literal', how: 'word', text: o.text, place };
      case 'call':
        return this.call(o);
      case 'field':
        return this.field(o);
    }
  }

  private field(o: FieldRef): Compiled {
    const place = { pos: o.pos, len: o.len };
    const def = lookupField(o.name);
    if (!def) {
      if (o.slice || o.layer !== undefined) this.unknownName({ kind: 'literal', how: 'word', text: o.name, place: { pos: o.pos, len: o.name.length } });
      return { kind: 'literal', how: 'word', text: o.name, place };
    }
    this.use(def);
    let access = o.slice && def.type === 'protocol' ? protocolAccessor(def.name, o.layer, 'header') : accessorFor(def, o.layer);
    if (!o.slice) return { kind: 'field', type: def.type, def, access, place };
    if (!SLICEABLE.has(def.type)) {
      this.fail('WL_ERR_FILTER_TYPE', `${def.name} is ${article(TYPE_NAMES[def.type])} and cannot be sliced into a sequence of bytes (slices work on addresses, strings, byte fields and protocols)`, place);
    }
    access = sliced(access, def.type, o.slice);
    const name = this.text.slice(o.pos, o.pos + o.len);
    return { kind: 'field', type: 'bytes', def: { name, type: 'bytes' }, access, place };
  }

  private call(o: CallRef): Compiled {
    const place = { pos: o.pos, len: o.len };
    const fn = o.name;
    if (!['len', 'count', 'upper', 'lower'].includes(fn)) {
      this.fail('WL_ERR_FILTER_FIELD', `unknown function ${fn}(): the functions are len(), count(), upper() and lower()`, { pos: o.pos, len: fn.length });
    }
    const arg = this.operand(o.arg);
    if (arg.kind !== 'field') this.unknownName(arg);
    const name = this.text.slice(o.pos, o.pos + o.len);
    let type: FieldType;
    let access: Accessor;
    if (fn === 'count') {
      const inner = arg.access;
      type = 'uint';
      access = (c, t) => {
        let n = 0;
        inner(c, () => (n++, false));
        return t(n);
      };
    } else if (fn === 'len') {
      type = 'uint';
      if (arg.type === 'protocol' && o.arg.type === 'field') {
        access = protocolHeaderLengths(arg.def.name, o.arg.layer);
      } else {
        if (!SLICEABLE.has(arg.type)) this.fail('WL_ERR_FILTER_TYPE', `len() needs a string, address, byte field or protocol; ${arg.def.name} is ${article(TYPE_NAMES[arg.type])}`, arg.place);
        const inner = arg.access;
        const at = arg.type;
        access = (c, t) => inner(c, (v) => t(bytesOf(at, v)!.length));
      }
    } else {
      if (arg.type !== 'string') this.fail('WL_ERR_FILTER_TYPE', `${fn}() needs a string field; ${arg.def.name} is ${article(TYPE_NAMES[arg.type])}`, arg.place);
      const inner = arg.access;
      const up = fn === 'upper';
      type = 'string';
      access = (c, t) => inner(c, (v) => t(up ? (v as string).toUpperCase() : (v as string).toLowerCase()));
    }
    if (o.slice) {
      if (type !== 'string') this.fail('WL_ERR_FILTER_TYPE', `the result of ${fn}() is a number and cannot be sliced`, place);
      return { kind: 'field', type: 'bytes', def: { name, type: 'bytes' }, access: sliced(access, type, o.slice), place };
    }
    return { kind: 'field', type, def: { name, type }, access, place };
  }

  private use(def: FieldDef): void {
    this.names.push(def.name);
    if (def.source === 'analysis') this.needsAnalysis = true;
  }

  /** A word used where a field is needed: unknown name, with the nearest registered names. */
  private unknownName(op: LiteralOperand): never {
    if (op.how !== 'word') this.fail('WL_ERR_FILTER_SYNTAX', `a ${op.how === 'string' ? 'quoted string' : 'character constant'} cannot stand alone: expected a field or protocol to test or compare`, op.place);
    const near = suggestFields(op.text);
    const hint = near.length ? `did you mean ${near.join(', ')}?` : 'run "wirelens fields" for the list';
    this.fail('WL_ERR_FILTER_FIELD', `"${op.text}" is neither a field nor a protocol: ${hint}`, op.place);
  }

  /** Types a literal for a field, or fails with the types that fit (or the nearest field names). */
  private literal(field: FieldOperand, lit: LiteralOperand, asType?: FieldType): Typed {
    const def = asType ? { ...field.def, type: asType } : field.def;
    const r = typeLiteral(def, lit.how, lit.text);
    if (typeof r !== 'string') return r;
    if (lit.how === 'word' && /^[a-z_][\w-]*(\.[\w-]+)+$/i.test(lit.text) && !/^[\d.]+$/.test(lit.text)) {
      const near = suggestFields(lit.text);
      if (near.length) this.fail('WL_ERR_FILTER_FIELD', `"${lit.text}" is neither a field nor a valid value for ${field.def.name}: did you mean ${near.join(', ')}?`, lit.place);
    }
    return this.fail('WL_ERR_FILTER_TYPE', r, lit.place);
  }

  // ---- relations ----

  private compare(op: RelOp, left: Compiled, right: Compiled, opPlace: Place): Pred {
    if (left.kind !== 'field') {
      if (right.kind !== 'field') this.unknownName(left);
      const m = MIRROR[op];
      if (!m) this.fail('WL_ERR_FILTER_SYNTAX', `"${this.text.slice(opPlace.pos, opPlace.pos + opPlace.len)}" needs the field on its left`, left.place);
      return this.compare(m, right, left, opPlace);
    }
    if (right.kind === 'field') return this.fieldToField(op, left, right, opPlace);
    const access = left.access;
    const t = left.type;
    if (t === 'none') this.literal(left, right); // fails with "can only be tested for presence"
    if (op === 'contains') {
      const lit = t === 'string' ? this.literal(left, right) : BYTES_LIKE.has(t) ? this.literal(left, right, 'bytes') : this.notFor(op, left, opPlace);
      const needle = lit.value!;
      if (typeof needle === 'string') return (c) => access(c, (v) => (v as string).includes(needle));
      const nb = needle as Uint8Array;
      return (c) => access(c, (v) => indexOfBytes(v as Uint8Array, nb) >= 0);
    }
    if (op === 'matches') {
      if (t !== 'string' && !BYTES_LIKE.has(t)) this.notFor(op, left, opPlace);
      if (right.how !== 'string') this.fail('WL_ERR_FILTER_TYPE', `"matches" needs a quoted regular expression, such as "^GET"`, right.place);
      const re = this.regex(right);
      if (t === 'string') return (c) => access(c, (v) => testRegex(re, (v as string).length > MAX_MATCH_INPUT ? (v as string).slice(0, MAX_MATCH_INPUT) : (v as string)));
      return (c) => access(c, (v) => testRegex(re, latin1(v as Uint8Array, MAX_MATCH_INPUT)));
    }
    if (op === '&') {
      if (!NUMERIC.has(t) && !BYTES_LIKE.has(t)) this.notFor(op, left, opPlace);
      const k = this.literal(left, right).value!;
      if (typeof k === 'number') return (c) => access(c, (v) => ((v as number) & k) !== 0);
      const kb = k as Uint8Array;
      return (c) => access(c, (v) => bitAnd(v as Uint8Array, kb));
    }
    const lit = this.literal(left, right);
    if (lit.net) {
      if (op !== '==' && op !== '!=' && op !== '===' && op !== '!==') this.fail('WL_ERR_FILTER_TYPE', 'a CIDR block can only be compared with ==, !=, ===, !== or in', right.place);
      return quantify(op, access, netTest(t, lit.net));
    }
    const k = lit.value!;
    if (op === '==' || op === '!=' || op === '===' || op === '!==') return quantify(op, access, eqTest(k));
    if (!ORDERED.has(t)) this.notFor(op, left, opPlace);
    const cmp = ORDER[op]!;
    return (c) => access(c, (v) => cmp(compareValues(v, k)));
  }

  private fieldToField(op: RelOp, left: FieldOperand, right: FieldOperand, opPlace: Place): Pred {
    const fam = (t: FieldType) => (NUMERIC.has(t) ? 'number' : BYTES_LIKE.has(t) ? 'bytes' : t);
    if (fam(left.type) !== fam(right.type)) {
      this.fail(
        'WL_ERR_FILTER_TYPE',
        `${left.def.name} (${TYPE_NAMES[left.type]}) and ${right.def.name} (${TYPE_NAMES[right.type]}) are not of compatible types`,
        { pos: left.place.pos, len: right.place.pos + right.place.len - left.place.pos },
      );
    }
    const la = left.access;
    const ra = right.access;
    const t = left.type;
    let rel: (a: Value, b: Value) => boolean;
    if (op === 'contains') {
      if (t !== 'string' && !BYTES_LIKE.has(t)) this.notFor(op, left, opPlace);
      rel = (a, b) => (typeof a === 'string' ? a.includes(b as string) : indexOfBytes(a as Uint8Array, b as Uint8Array) >= 0);
    } else if (op === 'matches') {
      return this.fail('WL_ERR_FILTER_TYPE', '"matches" needs a quoted regular expression on its right, not a field', right.place);
    } else if (op === '&') {
      if (!NUMERIC.has(t) && !BYTES_LIKE.has(t)) this.notFor(op, left, opPlace);
      rel = (a, b) => (typeof a === 'number' ? (a & (b as number)) !== 0 : bitAnd(a as Uint8Array, b as Uint8Array));
    } else if (op === '==' || op === '!=' || op === '===' || op === '!==') {
      rel = valuesEqual;
    } else {
      if (!ORDERED.has(t)) this.notFor(op, left, opPlace);
      const cmp = ORDER[op]!;
      rel = (a, b) => cmp(compareValues(a, b));
    }
    const anyPair: Pred = (c) => la(c, (a) => ra(c, (b) => rel(a, b)));
    switch (op) {
      case '!=':
        return (c) => la(c, TRUE) && ra(c, TRUE) && !anyPair(c);
      case '===':
        return (c) => la(c, TRUE) && !la(c, (a) => ra(c, (b) => !rel(a, b)));
      case '!==':
        return (c) => la(c, (a) => ra(c, (b) => !rel(a, b)));
      default:
        return anyPair;
    }
  }

  private membership(left: FieldOperand, set: SetElement[]): Pred {
    const tests: Test[] = [];
    const t = left.type;
    for (const el of set) {
      const lo = this.operand(el.lo);
      if (lo.kind === 'field') this.fail('WL_ERR_FILTER_SYNTAX', 'set elements must be values (numbers, addresses, strings), not fields', lo.place);
      const a = this.literal(left, lo);
      if (!el.hi) {
        tests.push(a.net ? netTest(t, a.net) : eqTest(a.value!));
        continue;
      }
      const hi = this.operand(el.hi);
      if (hi.kind === 'field') this.fail('WL_ERR_FILTER_SYNTAX', 'set elements must be values (numbers, addresses, strings), not fields', hi.place);
      const b = this.literal(left, hi);
      if (a.net || b.net || !ORDERED.has(t)) {
        this.fail('WL_ERR_FILTER_TYPE', `a range lo..hi needs values that have an order; ${left.def.name} is ${article(TYPE_NAMES[t])}`, { pos: lo.place.pos, len: hi.place.pos + hi.place.len - lo.place.pos });
      }
      const lv = a.value!;
      const hv = b.value!;
      tests.push((v) => compareValues(v, lv) >= 0 && compareValues(v, hv) <= 0);
    }
    const access = left.access;
    if (tests.length === 1) {
      const only = tests[0]!;
      return (c) => access(c, only);
    }
    return (c) => access(c, (v) => tests.some((x) => x(v)));
  }

  private notFor(op: RelOp, left: FieldOperand, opPlace: Place): never {
    const fits: Record<string, string> = {
      contains: 'strings, byte fields, addresses of MAC type, slices and protocols',
      matches: 'strings, byte fields, slices and protocols',
      '&': 'integers and byte fields',
    };
    const what = fits[op] ?? 'integers, times, strings, addresses and byte fields (not booleans or presence-only fields)';
    return this.fail('WL_ERR_FILTER_TYPE', `"${this.text.slice(opPlace.pos, opPlace.pos + opPlace.len)}" cannot be used on ${left.def.name}, ${article(TYPE_NAMES[left.type])}: it works on ${what}`, opPlace);
  }

  /** Builds the RegExp once: case-insensitive as Wireshark's (PCRE2_CASELESS), refusing nested quantifiers. */
  private regex(lit: LiteralOperand): RegExp {
    const nested = nestedQuantifier(lit.text);
    if (nested >= 0) {
      this.fail(
        'WL_ERR_FILTER_TYPE',
        `the regular expression repeats a group that itself repeats (as in (a+)+), which can take exponential time; rewrite it without the nested repetition`,
        { pos: lit.place.pos + 1 + nested, len: 1 },
      );
    }
    try {
      return new RegExp(lit.text, 'i');
    } catch (err) {
      return this.fail('WL_ERR_FILTER_TYPE', `invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, lit.place);
    }
  }
}

const TRUE: Test = () => true;

const ORDER: Partial<Record<RelOp, (d: number) => boolean>> = {
  '>': (d) => d > 0,
  '<': (d) => d < 0,
  '>=': (d) => d >= 0,
  '<=': (d) => d <= 0,
};

/** Wireshark 4.0's quantifiers over occurrences (see the header comment). */
function quantify(op: RelOp, access: Accessor, eq: Test): Pred {
  switch (op) {
    case '!=':
      return (c) => access(c, TRUE) && !access(c, eq);
    case '===': {
      const ne: Test = (v) => !eq(v);
      return (c) => access(c, TRUE) && !access(c, ne);
    }
    case '!==': {
      const ne: Test = (v) => !eq(v);
      return (c) => access(c, ne);
    }
    default:
      return (c) => access(c, eq);
  }
}

function eqTest(k: Value): Test {
  if (k instanceof Uint8Array) return (v) => v instanceof Uint8Array && v.length === k.length && valuesEqual(v, k);
  return (v) => v === k;
}

function netTest(type: FieldType, net: { prefix: Uint8Array; bits: number }): Test {
  if (type === 'ipv4') {
    const p = net.prefix;
    const mask = net.bits === 0 ? 0 : (0xffffffff << (32 - net.bits)) >>> 0;
    const want = ((((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0) & mask) >>> 0;
    return (v) => (((v as number) & mask) >>> 0) === want;
  }
  return (v) => inNetwork(v as Uint8Array, net);
}

function bitAnd(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if ((a[i]! & b[i]!) !== 0) return true;
  return false;
}

function testRegex(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}

/** Bytes selected by a slice, or undefined when any range falls outside the value (Wireshark: no match). */
export function applySlice(b: Uint8Array, ranges: readonly SliceRange[]): Uint8Array | undefined {
  if (ranges.length === 1) return sliceOne(b, ranges[0]!);
  const parts: Uint8Array[] = [];
  for (const r of ranges) {
    const p = sliceOne(b, r);
    if (!p) return undefined;
    parts.push(p);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sliceOne(b: Uint8Array, r: SliceRange): Uint8Array | undefined {
  const start = r.from < 0 ? b.length + r.from : r.from;
  const end = r.count === undefined ? b.length : start + r.count;
  if (start < 0 || end > b.length || start > end || (r.count === undefined && start >= b.length)) return undefined;
  return b.subarray(start, end);
}

function sliced(inner: Accessor, type: FieldType, ranges: readonly SliceRange[]): Accessor {
  return (c, t) =>
    inner(c, (v) => {
      const b = bytesOf(type, v);
      const s = b && applySlice(b, ranges);
      return s !== undefined && t(s);
    });
}

/**
 * Offset in `pattern` of a quantifier applied to a group that already contains one (`(a+)+`,
 * `(a|b*)*`, `(x{2,})+`), or -1. These are the patterns that backtrack exponentially in JavaScript's
 * engine; everything else runs in time bounded by the input, which MAX_MATCH_INPUT caps.
 */
export function nestedQuantifier(pattern: string): number {
  const stack: boolean[] = [false];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (ch === '(') {
      stack.push(false);
      continue;
    }
    const repeats = ch === '*' || ch === '+' || (ch === '{' && /^\{\d*,?\d*\}/.test(pattern.slice(i)) && !/^\{\d+\}/.test(pattern.slice(i)));
    if (ch === ')' && stack.length > 1) {
      const inner = stack.pop()!;
      const next = pattern[i + 1];
      const nextRepeats = next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}/.test(pattern.slice(i + 1)));
      if (inner && nextRepeats) return i + 1;
      if (inner) stack[stack.length - 1] = true;
      continue;
    }
    if (repeats) stack[stack.length - 1] = true;
  }
  return -1;
}
