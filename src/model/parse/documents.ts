// Multi-document YAML (or JSON) text -> raw objects, each with where it came from. A broken
// document costs only itself: the others in the file still load.
import { LineCounter, parseAllDocuments } from 'yaml';
import { diagnostic } from '../errors';
import type { Diagnostic, Origin } from '../types';
import { isRecord } from './read';

export interface RawObject {
  raw: unknown;
  origin: Origin;
}

export interface ParsedDocuments {
  objects: RawObject[];
  diagnostics: Diagnostic[];
}

export function parseDocuments(text: string, file: string): ParsedDocuments {
  const lines = new LineCounter();
  const objects: RawObject[] = [];
  const diagnostics: Diagnostic[] = [];
  parseAllDocuments(text, { lineCounter: lines }).forEach((doc, i) => {
    const origin: Origin = { file, doc: i + 1 };
    const [error] = doc.errors;
    if (error) {
      // The yaml package appends " at line L, column C:" and a code excerpt; the line goes into
      // the origin instead so the finding stays on one line.
      const pos = error.linePos?.[0];
      const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      diagnostics.push(
        diagnostic('MAST1001', pos ? `${reason} (column ${pos.col})` : reason, { origin: pos ? { ...origin, line: pos.line } : origin }),
      );
      return;
    }
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) return; // an empty document, e.g. after a trailing `---`
    objects.push(...expandList(raw, origin));
  });
  return { objects, diagnostics };
}

/** `kind: List` (what `kubectl get -o yaml` prints) stands for its items. */
function expandList(raw: unknown, origin: Origin): RawObject[] {
  if (isRecord(raw) && raw.kind === 'List' && Array.isArray(raw.items)) return raw.items.map((item: unknown) => ({ raw: item, origin }));
  return [{ raw, origin }];
}
