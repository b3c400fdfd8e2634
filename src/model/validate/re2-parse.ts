// A parser of RE2's syntax (re2/parse.cc) into the tree re2-size.ts measures. It assumes the
// pattern is valid RE2 (src/model/validate/regex.ts checks that first) and keeps only what sizes
// a program: literals, classes as code point ranges, empty-width assertions, captures, repeats.

export const MAX_RUNE = 0x10ffff;

export type Range = readonly [number, number];

export type Node =
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

export class Unparsable extends Error {}

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

/**
 * A recursive-descent parser of one RE2 pattern (re2/parse.cc's grammar: alternation, concatenation,
 * repetition `* + ? {n,m}` with `?` for non-greedy, groups with flags `(?i)` `(?s)` `(?:...)`,
 * named captures, classes with Perl, POSIX and Unicode names, escapes) into a Node tree.
 * `new Parser(pattern).parse()` gives the tree or throws Unparsable; the pattern must already be
 * valid RE2 (src/model/validate/regex.ts), so this only has to be right on valid input.
 */
export class Parser {
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

/**
 * Code point ranges (inclusive [lo, hi] pairs) sorted and merged where they overlap or touch, as
 * RE2's CharClassBuilder keeps a class: [[5,9],[1,3],[4,4]] gives [[1,9]].
 */
export function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}
