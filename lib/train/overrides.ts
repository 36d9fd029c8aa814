/**
 * Command-line overrides of a JSON config: 'a.b=v;c=w' sets config.a.b = v and config.c = w,
 * where v is parsed as JSON when it is valid JSON (numbers, true/false, quoted strings) and
 * taken as a plain string otherwise. The result is validated like the file itself.
 */
export function applyOverrides(config: unknown, spec: string | undefined): unknown {
  if (spec === undefined || spec.trim() === '') return config;
  const root = structuredClone(config ?? {}) as Record<string, unknown>;
  for (const part of spec.split(';').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`--set: expected key=value, got '${part}'`);
    const keys = part.slice(0, eq).trim().split('.');
    const raw = part.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare string
    }
    let o = root;
    for (const k of keys.slice(0, -1)) {
      if (o[k] === undefined) o[k] = {};
      if (typeof o[k] !== 'object' || o[k] === null || Array.isArray(o[k])) throw new Error(`--set: '${keys.join('.')}': '${k}' is not an object in the config`);
      o = o[k] as Record<string, unknown>;
    }
    o[keys[keys.length - 1]!] = value;
  }
  return root;
}
