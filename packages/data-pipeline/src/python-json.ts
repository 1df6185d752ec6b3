/**
 * JSON text as Python's `json.dumps(obj)` writes it (separators ', ' and ': ', non-ASCII as
 * \uXXXX), so `split --json` can be compared byte for byte with a Python run.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('pythonJsonDumps: non-finite number');
    return Number.isInteger(value) ? String(value) : pyFloat(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pyString(k)}: ${pythonJsonDumps(v)}`)
      .join(', ')}}`;
  }
  throw new TypeError(`pythonJsonDumps: cannot encode ${typeof value}`);
}

function pyFloat(v: number): string {
  // Python repr of a float: shortest round-trip digits, like JS, but exponents as e-05 / e+16.
  const s = String(v);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}
