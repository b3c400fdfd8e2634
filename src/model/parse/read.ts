// Reading untyped input field by field. A field of the wrong type becomes a MAST1006 finding at
// its path instead of an exception, so one bad field does not hide the others.
import { diagnostic, type DiagnosticCode } from '../errors';
import type { Diagnostic, ObjectRef, Origin } from '../types';

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `spec.http[0].route`; keys that are not plain identifiers are quoted: `labels["app.kubernetes.io/name"]`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z_][\w-]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent ? `${parent}.${key}` : key;
}

/** Collects the findings about one object while its fields are read. */
export class FieldReader {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly origin: Origin,
    private readonly object?: ObjectRef,
  ) {}

  /** Records a finding, once per code and field (a schema's oneOf, say, fails a field in several ways). */
  report(code: DiagnosticCode, field: string | undefined, message: string): void {
    if (this.diagnostics.some((d) => d.code === code && d.field === field)) return;
    this.diagnostics.push(diagnostic(code, message, { object: this.object, origin: this.origin, field }));
  }

  hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  string(obj: Json, key: string, parent: string): string | undefined {
    return this.typed(obj, key, parent, 'a string', (v): v is string => typeof v === 'string');
  }

  bool(obj: Json, key: string, parent: string): boolean | undefined {
    return this.typed(obj, key, parent, 'a boolean', (v): v is boolean => typeof v === 'boolean');
  }

  int(obj: Json, key: string, parent: string): number | undefined {
    return this.typed(obj, key, parent, 'an integer', (v): v is number => Number.isInteger(v));
  }

  record(obj: Json, key: string, parent: string): Json | undefined {
    return this.typed(obj, key, parent, 'an object', isRecord);
  }

  /** A missing list reads as empty. */
  array(obj: Json, key: string, parent: string): unknown[] {
    return this.typed(obj, key, parent, 'a list', Array.isArray) ?? [];
  }

  /** Records whose items are not objects are reported and skipped. */
  records(obj: Json, key: string, parent: string): { item: Json; path: string }[] {
    const path = childPath(parent, key);
    return this.array(obj, key, parent).flatMap((item, i) => {
      if (isRecord(item)) return [{ item, path: childPath(path, i) }];
      this.report('MAST1006', childPath(path, i), 'must be an object');
      return [];
    });
  }

  /** Labels, annotations, selectors: Kubernetes wants every value to be a string. */
  stringMap(obj: Json, key: string, parent: string): Record<string, string> {
    const map = this.record(obj, key, parent) ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(map)) {
      if (typeof v === 'string') out[k] = v;
      else this.report('MAST1006', childPath(childPath(parent, key), k), `must be a string (quote ${JSON.stringify(v)})`);
    }
    return out;
  }

  private typed<T>(obj: Json, key: string, parent: string, what: string, is: (v: unknown) => v is T): T | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (is(v)) return v;
    this.report('MAST1006', childPath(parent, key), `must be ${what}`);
    return undefined;
  }
}
