/**
 * The parsed filter, before names are looked up and literals typed. Every node keeps its place in
 * the filter text (`pos`, `len`) so that later errors can underline it.
 */

/** One range inside `[...]`: `from` may be negative (counted from the end); `count` undefined = to the end. */
export interface SliceRange {
  from: number;
  count?: number;
}

export interface Place {
  pos: number;
  len: number;
}

/** A field or protocol name, with an optional layer (`ip.src#2`) and slice (`eth.src[0:3]`). */
export interface FieldRef extends Place {
  type: 'field';
  name: string;
  layer?: number;
  slice?: SliceRange[];
}

/** An unquoted word that is not a known name: a number, address, CIDR block, byte string or value name. */
export interface LiteralRef extends Place {
  type: 'literal';
  text: string;
}

export interface StringRef extends Place {
  type: 'string';
  value: string;
}

export interface CharRef extends Place {
  type: 'char';
  value: string;
}

/** `len(x)`, `count(x)`, `upper(x)`, `lower(x)`, with an optional slice on the result. */
export interface CallRef extends Place {
  type: 'call';
  name: string;
  arg: Operand;
  slice?: SliceRange[];
}

export type Operand = FieldRef | LiteralRef | StringRef | CharRef | CallRef;

/** Wireshark 4.0's relations. `!=` is "all not equal", `!==`/`~=` "any not equal", `===` "all equal". */
export type RelOp = '==' | '!=' | '===' | '!==' | '>' | '<' | '>=' | '<=' | 'contains' | 'matches' | '&';

export interface SetElement {
  lo: Operand;
  /** Upper bound of a range `lo..hi`. */
  hi?: Operand;
}

export type Expr =
  | ({ type: 'and' | 'or'; left: Expr; right: Expr } & Place)
  | ({ type: 'not'; expr: Expr } & Place)
  /** A field, protocol or function alone: true when present (or, for a function, when non-zero). */
  | ({ type: 'test'; operand: Operand } & Place)
  | ({ type: 'compare'; op: RelOp; left: Operand; right: Operand; opPlace: Place } & Place)
  | ({ type: 'in'; negated: boolean; left: Operand; set: SetElement[]; opPlace: Place } & Place);
