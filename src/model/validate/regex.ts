// Envoy compiles every regex with RE2, and Istio's validation (validateStringRegexp) with Go's
// regexp, which reads RE2's syntax but refuses `\C` (any byte). JavaScript's parser (in `u` mode,
// which is strict like RE2) does the syntax check, after two adjustments: constructs only
// JavaScript has (lookaround, backreferences, \u, \c) are refused up front, and RE2-only syntax
// (`(?P<name>`, `(?i)`, `\z`, `\Q..\E`, `[[:alpha:]]`, escaped punctuation, a literal `{`) is
// rewritten to an equivalent JavaScript accepts, so valid RE2 is not refused.

import { re2RepetitionProblem } from './re2-size';

const RE2_MAX_REPEAT = 1000;
const POSIX_CLASSES = new Set(['alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit']);

/** Why RE2 would refuse `pattern`, or undefined when it compiles. */
export function re2Problem(pattern: string): string | undefined {
  let rewritten: string;
  try {
    rewritten = toJavaScript(pattern);
  } catch (e) {
    if (e instanceof Refused) return e.message;
    throw e;
  }
  try {
    new RegExp(rewritten, 'u');
  } catch (e) {
    return (e as Error).message.replace(/^Invalid regular expression: \/.*\/u?: /s, '');
  }
  return re2RepetitionProblem(pattern);
}

class Refused extends Error {}

/** `c` as a code point escape, which means the literal character in any position. */
function literal(c: string): string {
  return `\\u{${(c.codePointAt(0) as number).toString(16)}}`;
}

/** Throws Refused for what RE2 does not support. */
function toJavaScript(p: string): string {
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < p.length) {
    const c = p[i] as string;
    const rest = p.slice(i);
    if (c === '\\') {
      const [text, length] = escape(rest, inClass);
      out += text;
      i += length;
    } else if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest);
      if (posix) {
        if (!POSIX_CLASSES.has(posix[2] as string)) throw new Refused(`unknown character class [:${posix[2]}:]`);
        out += 'a'; // stands in for the class: only the syntax is being checked
        i += posix[0].length;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i++;
    } else if (c === ']') {
      out += '\\]'; // RE2 reads a `]` outside a class as a literal
      i++;
    } else if (c === '^' || c === '$') {
      out += `(?:${c})`; // RE2 lets an assertion be repeated (`^+`); JavaScript only a group
      i++;
    } else if (c === '[') {
      // RE2 reads a `]` right after `[` or `[^` as a literal.
      const open = /^\[\^?\]?/.exec(rest)?.[0] as string;
      out += open.endsWith(']') ? `${open.slice(0, -1)}\\]` : open;
      inClass = true;
      i += open.length;
    } else if (c === '(' && p[i + 1] === '?') {
      const [text, length] = group(rest);
      out += text;
      i += length;
    } else if (c === '{' || c === '}') {
      const repeat = /^\{(\d+)(?:,(\d*))?\}/.exec(rest);
      if (repeat && Math.max(Number(repeat[1]), Number(repeat[2] || 0)) > RE2_MAX_REPEAT) {
        throw new Refused(`repeat count ${repeat[0]} exceeds RE2's limit of ${RE2_MAX_REPEAT}`);
      }
      out += repeat ? repeat[0] : literal(c); // RE2 reads a brace that is not a repeat as a literal
      i += repeat ? repeat[0].length : 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** `rest` starts with a backslash: the JavaScript text for the escape and how much it consumed. */
function escape(rest: string, inClass: boolean): [string, number] {
  const next = rest[1];
  if (next === undefined) throw new Refused('trailing backslash');
  const octal = /^\\(0[0-7]{0,2}|[1-7][0-7]{1,2})/.exec(rest);
  if (octal) return [literal(String.fromCodePoint(parseInt(octal[1] as string, 8))), octal[0].length];
  if (/[1-9]/.test(next) || (next === 'k' && rest[2] === '<')) throw new Refused('backreferences are not supported by RE2');
  if (next === 'u' || next === 'c') throw new Refused(`\\${next} is not an RE2 escape${next === 'u' ? ' (use \\x{...})' : ''}`);
  if (next === 'Q') {
    const end = rest.indexOf('\\E', 2);
    const quoted = rest.slice(2, end < 0 ? undefined : end);
    return [[...quoted].map((ch) => (/\w/.test(ch) ? ch : literal(ch))).join(''), end < 0 ? rest.length : end + 2];
  }
  if (next === 'x' && rest[2] === '{') {
    const braced = /^\\x\{([0-9A-Fa-f]+)\}/.exec(rest);
    if (!braced) throw new Refused('malformed \\x{...} escape');
    return [`\\u{${braced[1]}}`, braced[0].length];
  }
  if (next === 'p' || next === 'P') {
    const prop = /^\\[pP](\{\^?([A-Za-z_]+)\}|[A-Za-z])/.exec(rest);
    if (!prop) throw new Refused(`malformed \\${next} escape`);
    const name = prop[2] ?? (prop[1] as string);
    if (!isUnicodeClass(name)) throw new Refused(`unknown Unicode class ${name}`);
    return ['\\w', prop[0].length];
  }
  if (!inClass && (next === 'z' || next === 'A')) return [next === 'z' ? '(?:$)' : '(?:^)', 2];
  if (!inClass && (next === 'b' || next === 'B')) return [`(?:\\${next})`, 2];
  if (next === 'C') throw new Refused('\\C (any byte) is not supported by Go\'s regexp, which Istio validates with');
  if (next === 'a') return [literal('\x07'), 2];
  if (/[\x00-\x2F\x3A-\x40\x5B-\x60\x7B-\x7F]/.test(next)) return [literal(next), 2]; // any ASCII but a letter or digit escapes to itself
  return [`\\${next}`, 2];
}

/** `rest` starts with `(?`. */
function group(rest: string): [string, number] {
  if (/^\(\?(<?[=!])/.test(rest)) throw new Refused('lookahead and lookbehind are not supported by RE2');
  if (rest.startsWith('(?P=')) throw new Refused('backreferences are not supported by RE2');
  if (rest.startsWith('(?P<')) return ['(?<', 4];
  const flags = /^\(\?([imsU]*(?:-[imsU]*)?)([:)])/.exec(rest);
  if (flags?.[0] === '(?)') throw new Refused('empty flag group (?)');
  if (flags) return [flags[2] === ':' ? '(?:' : '', flags[0].length]; // JavaScript has no inline flags
  return ['(?', 2];
}

function isUnicodeClass(name: string): boolean {
  if (name === 'Any') return true;
  return [`\\p{${name}}`, `\\p{Script=${name}}`].some((source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  });
}
