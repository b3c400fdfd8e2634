import { childPath, isRecord } from '../parse/read';

export interface FieldValue {
  value: unknown;
  /** Concrete path, `spec.http[2].timeout`. */
  field: string;
}

/**
 * Every value present at `pattern`, where `[]` means each item of a list and `*` each value of
 * a map: `spec.http[].match[].headers.*.regex`.
 */
export function fieldsAt(root: unknown, pattern: string): FieldValue[] {
  const steps = pattern.split('.').flatMap((part) => {
    const name = part.replace(/(\[\])+$/, '');
    return [name, ...Array<string>((part.length - name.length) / 2).fill('[]')];
  });
  let level: FieldValue[] = [{ value: root, field: '' }];
  for (const step of steps) {
    level = level.flatMap(({ value, field }): FieldValue[] => {
      if (step === '[]') return Array.isArray(value) ? value.map((v, i) => ({ value: v, field: childPath(field, i) })) : [];
      if (!isRecord(value)) return [];
      if (step === '*') return Object.entries(value).map(([k, v]) => ({ value: v, field: childPath(field, k) }));
      return step in value ? [{ value: value[step], field: childPath(field, step) }] : [];
    });
  }
  return level.filter((f) => f.value !== undefined && f.value !== null);
}
