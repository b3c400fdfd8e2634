// A conservative estimate of RE2's program size, which Envoy compares with the runtime key
// `re2.max_program_size.error_level` (source/common/common/regex.cc, CompiledGoogleReMatcher:
// "regex '...' RE2 program size of N > max program size of M ..."). No maintained npm package
// exposes RE2's ProgramSize() (the `re2` binding does not), so this parses the pattern and counts
// an upper bound of what RE2's compiler (re2/compile.cc) and Prog::Flatten (re2/prog.cc) produce:
// - Flatten emits each ByteRange, Capture, EmptyWidth, Match and Fail instruction once, plus at
//   most one Nop per epsilon edge (2 per Alt) of the compiled program; so the bound is
//   non-epsilon instructions + 2 x Alts;
// - a literal is one ByteRange per UTF-8 byte; a class is its UTF-8 byte sequences without any of
//   RE2's prefix/suffix sharing, joined by Alts; (?i) adds each character's other cases;
// - `x?` and `x+` add one Alt, `x*` two when x can match empty (RE2 compiles it as (x+)?), else
//   one; `x{n,m}` expands as RE2's simplifier does (n copies, then m-n nested `x?`); a capture is
//   two instructions; alternation adds an Alt per extra branch;
// - 5 more for Fail, Match and the unanchored `.*?` prefix (a ByteRange and an Alt).
// Measured against Envoy 1.36 (which prints the real size) on 156 regexes: the estimate is never
// below it, 1 to 7 times it, median 2.8 (test/xds/validate-envoy.test.ts prints the figures). It also applies RE2's limit on nested
// counted repetitions (re2/parse.cc, RepetitionWalker: their product may not exceed 1000).

const MAX_RUNE = 0x10ffff;
const RE2_MAX_REPEAT = 1000;

type Range = readonly [number, number];

type Node =
  | { t: 'lit'; cp: number; fold: boolean }
  | { t: 'class'; ranges: Range[]; fold: boolean }
  | { t: 'byte' }
  | { t: 'empty' }
  | { t: 'nop' }
  | { t: 'cat' | 'alt'; items: Node[] }
  | { t: 'rep'; min: number; max: number; sub: Node; text: string }
  | { t: 'cap'; sub: Node };

interface Flags {
  i: boolean;
  s: boolean;
}

class Unparsable extends Error {}

/**
 * An upper bound of the RE2 program size of `pattern`, or a reason RE2 refuses it (nested
 * counted repetitions over 1000). Patterns whose syntax this parser does not follow yield
 * `{ error }`: callers check syntax first (src/model/validate/regex.ts).
 */
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
  for (const [lo, hi] of mergeRanges(ranges)) {
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

function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
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

// ------------------------------------------------------------------ parser (RE2 syntax)

const PERL: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
};

const POSIX: Record<string, Range[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

const ESCAPED: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };

function negate(ranges: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of mergeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

const unicodeCache = new Map<string, Range[]>();

/** A Unicode general category or script, as JavaScript's tables have it. */
function unicodeClass(name: string): Range[] {
  let ranges = unicodeCache.get(name);
  if (ranges) return ranges;
  if (name === 'Any') ranges = [[0, MAX_RUNE]];
  else {
    let re: RegExp;
    try {
      re = new RegExp(`^\\p{${name}}$`, 'u');
    } catch {
      try {
        re = new RegExp(`^\\p{Script=${name}}$`, 'u');
      } catch {
        throw new Unparsable(`unknown Unicode class ${name}`);
      }
    }
    ranges = [];
    let start = -1;
    for (let cp = 0; cp <= MAX_RUNE + 1; cp++) {
      const inside = cp <= MAX_RUNE && (cp < 0xd800 || cp > 0xdfff) && re.test(String.fromCodePoint(cp));
      if (inside && start < 0) start = cp;
      if (!inside && start >= 0) {
        ranges.push([start, cp - 1]);
        start = -1;
      }
    }
  }
  unicodeCache.set(name, ranges);
  return ranges;
}

class Parser {
  private i = 0;

  constructor(private readonly s: string) {}

  parse(): Node {
    const node = this.alternation({ i: false, s: false });
    if (this.i < this.s.length) throw new Unparsable(`unexpected ) at ${this.i}`);
    return node;
  }

  private alternation(flags: Flags): Node {
    const branches: Node[] = [];
    const f = { ...flags };
    for (;;) {
      branches.push(this.concat(f));
      if (this.s[this.i] !== '|') break;
      this.i++;
    }
    return branches.length === 1 ? (branches[0] as Node) : { t: 'alt', items: branches };
  }

  /** Flags set by `(?i)` last until the end of the enclosing group, across `|`. */
  private concat(flags: Flags): Node {
    const items: Node[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom(flags);
      if (atom) items.push(this.repetition(atom));
    }
    return items.length === 0 ? { t: 'nop' } : items.length === 1 ? (items[0] as Node) : { t: 'cat', items };
  }

  private repetition(atom: Node): Node {
    let node = atom;
    for (;;) {
      const c = this.s[this.i];
      let min: number;
      let max: number;
      let text = '';
      if (c === '*' || c === '+' || c === '?') {
        [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
        this.i++;
      } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
        if (!m) return node;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        text = m[0];
        this.i += m[0].length;
      } else {
        return node;
      }
      if (this.s[this.i] === '?') this.i++;
      node = { t: 'rep', min, max, sub: node, text };
    }
  }

  private atom(flags: Flags): Node | undefined {
    const c = this.s[this.i] as string;
    if (c === '(') return this.group(flags);
    if (c === '[') return this.charClass(flags);
    this.i++;
    if (c === '.') return { t: 'class', ranges: flags.s ? [[0, MAX_RUNE]] : negate([[10, 10]]), fold: false };
    if (c === '^' || c === '$') return { t: 'empty' };
    if (c === '\\') return this.escape(flags);
    const cp = this.s.codePointAt(this.i - 1) as number;
    if (cp > 0xffff) this.i++;
    return { t: 'lit', cp, fold: flags.i };
  }

  private group(flags: Flags): Node | undefined {
    const rest = this.s.slice(this.i);
    const named = /^\(\?P?<[A-Za-z0-9_]+>/.exec(rest);
    const flagGroup = /^\(\?([imsU-]*)([:)])/.exec(rest);
    let inner = flags;
    let capture = true;
    if (named) {
      this.i += named[0].length;
    } else if (flagGroup) {
      this.i += flagGroup[0].length;
      const set = applyFlags(flags, flagGroup[1] as string);
      if (flagGroup[2] === ')') {
        Object.assign(flags, set);
        return undefined;
      }
      inner = set;
      capture = false;
    } else if (rest.startsWith('(?')) {
      throw new Unparsable(`unknown group ${rest.slice(0, 4)}`);
    } else {
      this.i++;
    }
    const sub = this.alternation(inner);
    if (this.s[this.i] !== ')') throw new Unparsable('missing )');
    this.i++;
    return capture ? { t: 'cap', sub } : sub;
  }

  private escape(flags: Flags): Node {
    const c = this.s[this.i];
    if (c === undefined) throw new Unparsable('trailing \\');
    if ('AzbB'.includes(c)) {
      this.i++;
      return { t: 'empty' };
    }
    if (c === 'C') {
      this.i++;
      return { t: 'byte' };
    }
    if (c === 'Q') {
      const end = this.s.indexOf('\\E', this.i + 1);
      const text = this.s.slice(this.i + 1, end < 0 ? undefined : end);
      this.i = end < 0 ? this.s.length : end + 2;
      const items: Node[] = [...text].map((ch) => ({ t: 'lit', cp: ch.codePointAt(0) as number, fold: flags.i }));
      return items.length === 0 ? { t: 'nop' } : { t: 'cat', items };
    }
    const ranges = this.classEscape();
    if (ranges) return { t: 'class', ranges, fold: flags.i };
    return { t: 'lit', cp: this.escapedRune(), fold: flags.i };
  }

  /** \d \s \w \pN \p{Name} and their negations, or undefined for a single-character escape. */
  private classEscape(): Range[] | undefined {
    const c = this.s[this.i] as string;
    if ('dswDSW'.includes(c)) {
      this.i++;
      const base = PERL[c.toLowerCase()] as Range[];
      return c === c.toUpperCase() ? negate(base) : base;
    }
    if (c === 'p' || c === 'P') {
      const m = /^[pP](?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(this.s.slice(this.i));
      if (!m) throw new Unparsable('bad \\p');
      this.i += m[0].length;
      const ranges = unicodeClass((m[2] ?? m[3]) as string);
      return (c === 'P') !== (m[1] === '^') ? negate(ranges) : ranges;
    }
    return undefined;
  }

  private escapedRune(): number {
    const rest = this.s.slice(this.i);
    const hex = /^x(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2}))/.exec(rest);
    if (hex) {
      this.i += hex[0].length;
      return parseInt((hex[1] ?? hex[2]) as string, 16);
    }
    const octal = /^(?:0[0-7]{0,2}|[1-7][0-7]{1,2})/.exec(rest);
    if (octal) {
      this.i += octal[0].length;
      return parseInt(octal[0], 8);
    }
    const ch = rest.codePointAt(0) as number;
    this.i += ch > 0xffff ? 2 : 1;
    return ESCAPED[String.fromCodePoint(ch)] ?? ch;
  }

  private charClass(flags: Flags): Node {
    this.i++;
    const negated = this.s[this.i] === '^';
    if (negated) this.i++;
    const ranges: Range[] = [];
    let first = true;
    while (this.i < this.s.length && (this.s[this.i] !== ']' || first)) {
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.s.slice(this.i));
      if (posix) {
        this.i += posix[0].length;
        const base = POSIX[posix[2] as string];
        if (!base) throw new Unparsable(`unknown class [:${posix[2]}:]`);
        ranges.push(...(posix[1] ? negate(base) : base));
        continue;
      }
      if (this.s[this.i] === '\\') {
        this.i++;
        const cls = this.classEscape();
        if (cls) {
          ranges.push(...cls);
          continue;
        }
        this.i--;
      }
      const lo = this.classRune();
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && this.i + 1 < this.s.length) {
        this.i++;
        ranges.push([lo, this.classRune()]);
      } else {
        ranges.push([lo, lo]);
      }
    }
    if (this.s[this.i] !== ']') throw new Unparsable('missing ]');
    this.i++;
    return { t: 'class', ranges: negated ? negate(ranges) : ranges, fold: flags.i };
  }

  private classRune(): number {
    if (this.s[this.i] === '\\') {
      this.i++;
      return this.escapedRune();
    }
    const cp = this.s.codePointAt(this.i) as number;
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }
}

function applyFlags(flags: Flags, spec: string): Flags {
  const out = { ...flags };
  let on = true;
  for (const ch of spec) {
    if (ch === '-') on = false;
    else if (ch === 'i') out.i = on;
    else if (ch === 's') out.s = on;
  }
  return out;
}
