// A conservative estimate of RE2's program size, which Envoy compares with the runtime key
// `re2.max_program_size.error_level` (source/common/common/regex.cc, CompiledGoogleReMatcher:
// "regex '...' RE2 program size of N > max program size of M ..."). No maintained npm package
// exposes RE2's ProgramSize() (the `re2` binding does not), so this parses the pattern and counts
// an upper bound of what RE2's compiler (re2/compile.cc) and Prog::Flatten (re2/prog.cc) produce:
// - Flatten emits each ByteRange, Capture, EmptyWidth, Match and Fail instruction once, plus at
//   most one Nop per epsilon edge (2 per Alt) of the compiled program; so the bound is
//   non-epsilon instructions + 2 x Alts;
// - a literal is one ByteRange per UTF-8 byte; a class is its UTF-8 byte sequences without any of
//   RE2's prefix/suffix sharing, joined by Alts; (?i) adds each character's other cases; but a
//   class holding all of U+0080-U+10FFFF (`.`, `[^a-z]`) gets the six ByteRanges and three
//   suffixes of RE2's Add_80_10ffff, which RE2 uses for that range instead (re2/compile.cc);
// - `x?` and `x+` add one Alt, `x*` two when x can match empty (RE2 compiles it as (x+)?), else
//   one; `x{n,m}` expands as RE2's simplifier does (n copies, then m-n nested `x?`); a capture is
//   two instructions; alternation adds an Alt per extra branch;
// - 5 more for Fail, Match and the unanchored `.*?` prefix (a ByteRange and an Alt).
// Measured against Envoy 1.36 (which prints the real size) on 156 regexes: the estimate is never
// below it, 1 to 7 times it, median 2.8 (test/xds/validate-envoy-re2.test.ts prints the figures).
// It also applies RE2's limit on nested counted repetitions (re2/parse.cc, RepetitionWalker: their
// product may not exceed 1000), which Go's regexp, and so Istio's validation, applies too.

import { MAX_RUNE, Parser, Unparsable, mergeRanges, type Node, type Range } from './re2-parse';

const RE2_MAX_REPEAT = 1000;

/**
 * An upper bound of the RE2 program size of `pattern`, or a reason RE2 refuses it (nested
 * counted repetitions over 1000). Patterns whose syntax this parser does not follow yield
 * `{ error }`: callers check syntax first (src/model/validate/regex.ts).
 */
/**
 * Why RE2 (and Go's regexp) would refuse `pattern`'s nested counted repetitions (`(a{100}){11}`:
 * their product is over 1000), or undefined; undefined too for syntax this parser does not follow
 * (src/model/validate/regex.ts judges syntax).
 */
export function re2RepetitionProblem(pattern: string): string | undefined {
  try {
    const tooDeep = repetitionProblem(new Parser(pattern).parse());
    return tooDeep ? `invalid repetition size: ${tooDeep}` : undefined; // RE2's own words
  } catch (e) {
    if (e instanceof Unparsable) return undefined;
    throw e;
  }
}

export function re2ProgramSize(pattern: string): { size: number } | { error: string } {
  let node: Node;
  try {
    node = new Parser(pattern).parse();
  } catch (e) {
    if (e instanceof Unparsable) return { error: e.message };
    throw e;
  }
  const tooDeep = repetitionProblem(node);
  if (tooDeep) return { error: `invalid repetition size: ${tooDeep}` };
  return { size: cost(node) + 5 };
}

// ------------------------------------------------------------------ estimate

function nullable(n: Node): boolean {
  switch (n.t) {
    case 'empty':
    case 'nop':
      return true;
    case 'cat':
      return n.items.every(nullable);
    case 'alt':
      return n.items.some(nullable);
    case 'rep':
      return n.min === 0 || nullable(n.sub);
    case 'cap':
      return nullable(n.sub);
    default:
      return false;
  }
}

function cost(n: Node): number {
  switch (n.t) {
    case 'lit':
      return n.fold && foldsOf(n.cp).some((f) => f > 0x7f) ? classCost(foldRanges([[n.cp, n.cp]])) : utf8Length(n.cp);
    case 'class':
      return classCost(n.fold ? foldRanges(n.ranges) : n.ranges);
    case 'byte':
    case 'empty':
    case 'nop':
      return 1;
    case 'cat':
      return n.items.reduce((sum, x) => sum + cost(x), 0);
    case 'alt':
      return n.items.reduce((sum, x) => sum + cost(x), 0) + 2 * (n.items.length - 1);
    case 'cap':
      return cost(n.sub) + 2;
    case 'rep':
      return repeatCost(n.sub, n.min, n.max);
  }
}

/** x{min,max} as RE2's simplifier expands it (max -1 for unbounded); each Alt costs 2. */
function repeatCost(sub: Node, min: number, max: number): number {
  const c = cost(sub);
  const star = c + (nullable(sub) ? 4 : 2);
  const plus = c + 2;
  if (max === -1) return min === 0 ? star : (min - 1) * c + plus;
  if (max === 0) return 1;
  // n copies, then (x(x(x)?)?)?: each optional copy adds an Alt.
  return min * c + (max - min) * (c + 2);
}

function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** UTF-8 byte sequences of [lo, hi], unshared, each joined to the next by an Alt. */
function classCost(ranges: Range[]): number {
  let bytes = 0;
  let sequences = 0;
  let merged = mergeRanges(ranges);
  if (merged.some(([lo, hi]) => lo <= 0x80 && hi >= MAX_RUNE)) {
    // Add_80_10ffff: 80-BF, C2-DF, E0-EF, 80-BF, F0-F4, 80-BF, as three shared suffixes.
    bytes += 6;
    sequences += 3;
    merged = merged.flatMap(([lo, hi]): Range[] => (lo >= 0x80 ? [] : [[lo, Math.min(hi, 0x7f)]]));
  }
  for (const [lo, hi] of merged) {
    for (const [a, b, n] of byLength(lo, hi)) {
      const count = splitCount(a, b, n);
      sequences += count;
      bytes += count * n;
    }
  }
  if (sequences === 0) return 1; // an empty class compiles to Fail
  return bytes + 2 * (sequences - 1);
}

const LENGTH_LIMITS: [number, number, number][] = [[0, 0x7f, 1], [0x80, 0x7ff, 2], [0x800, 0xffff, 3], [0x10000, MAX_RUNE, 4]];

function byLength(lo: number, hi: number): [number, number, number][] {
  return LENGTH_LIMITS.flatMap(([a, b, n]) => (hi < a || lo > b ? [] : [[Math.max(lo, a), Math.min(hi, b), n] as [number, number, number]]));
}

/** How many byte-range sequences encode [lo, hi] (all of UTF-8 length n), as utf8ranges splits. */
function splitCount(lo: number, hi: number, n: number): number {
  for (let i = 1; i < n; i++) {
    const m = (1 << (6 * i)) - 1;
    if ((lo & ~m) !== (hi & ~m)) {
      if ((lo & m) !== 0) return splitCount(lo, lo | m, n) + splitCount((lo | m) + 1, hi, n);
      if ((hi & m) !== m) return splitCount(lo, (hi & ~m) - 1, n) + splitCount(hi & ~m, hi, n);
    }
  }
  return 1;
}

let orbits: Map<number, number[]> | undefined;

/**
 * The characters RE2's (?i) treats as one (its case folding orbits): built once from JavaScript's
 * single-character case mappings, joined transitively, so that ß and ẞ, k and K (Kelvin) meet.
 */
function foldsOf(cp: number): number[] {
  if (!orbits) {
    const parent = new Map<number, number>();
    const find = (x: number): number => {
      let r = x;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as number;
      return r;
    };
    for (let c = 0; c <= 0x1ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      for (const other of [ch.toLowerCase(), ch.toUpperCase()]) {
        const o = other.codePointAt(0) as number;
        if ([...other].length !== 1 || o === c) continue;
        const [a, b] = [find(c), find(o)];
        if (a !== b) parent.set(a, b);
        if (!parent.has(b)) parent.set(b, b);
      }
    }
    orbits = new Map();
    for (const c of parent.keys()) {
      const root = find(c);
      const orbit = orbits.get(root) ?? [];
      orbit.push(c);
      orbits.set(root, orbit);
    }
    for (const [root, orbit] of [...orbits]) for (const c of orbit) orbits.set(c, orbit.includes(root) ? orbit : [...orbit, root]);
  }
  return orbits.get(cp) ?? [cp];
}

const FOLD_SCAN_LIMIT = 20_000;

/** The ranges plus the other cases of their characters; past a size, all of non-ASCII. */
function foldRanges(ranges: Range[]): Range[] {
  const size = ranges.reduce((s, [lo, hi]) => s + hi - lo + 1, 0);
  if (size > FOLD_SCAN_LIMIT) return [...ranges, [0x41, 0x5a], [0x61, 0x7a], [0x80, MAX_RUNE]];
  const out: Range[] = [...ranges];
  for (const [lo, hi] of ranges) for (let cp = lo; cp <= hi; cp++) for (const f of foldsOf(cp)) if (f !== cp) out.push([f, f]);
  return out;
}

/**
 * re2/parse.cc checks each counted repetition as it is parsed (inner ones first): with
 * RepetitionWalker, 1000 divided down by the counts nested in it must not reach 0. Returns the
 * text of the first repetition that fails, as RE2's error names it.
 */
function repetitionProblem(n: Node): string | undefined {
  const children = n.t === 'cat' || n.t === 'alt' ? n.items : n.t === 'cap' || n.t === 'rep' ? [n.sub] : [];
  for (const x of children) {
    const p = repetitionProblem(x);
    if (p) return p;
  }
  if (n.t === 'rep' && n.text !== '' && (n.min >= 2 || n.max >= 2) && budgetLeft(n, RE2_MAX_REPEAT) === 0) return n.text;
  return undefined;
}

function budgetLeft(n: Node, budget: number): number {
  let left = budget;
  if (n.t === 'rep' && n.text !== '') {
    const m = n.max === -1 ? n.min : n.max;
    if (m > 0) left = Math.floor(left / m);
  }
  const children = n.t === 'cat' || n.t === 'alt' ? n.items : n.t === 'cap' || n.t === 'rep' ? [n.sub] : [];
  return children.reduce((min, x) => Math.min(min, budgetLeft(x, left)), left);
}

