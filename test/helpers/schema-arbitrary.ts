import fc from 'fast-check';

type Schema = Record<string, unknown>;

/**
 * fast-check arbitraries for the values a JSON Schema of the OpenAPI document accepts: objects (each
 * optional property present or not), arrays (`maxItems`, and `x-unique-by` for a property that must not
 * repeat), strings (`pattern`, `format: uri`, lengths, `enum`), integers (bounds), `oneOf`, `null` and
 * `$ref`s into the document. Only what the document uses is supported; anything else throws, so a new
 * keyword is noticed rather than ignored.
 */
export function arbitraryFor(schema: Schema, document: Schema): fc.Arbitrary<unknown> {
  const resolve = (node: Schema): Schema => {
    const pointer = node.$ref;
    if (typeof pointer !== 'string') return node;
    const target = pointer
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((at, key) => (at as Schema)[key], document);
    return resolve(target as Schema);
  };
  const build = (raw: Schema): fc.Arbitrary<unknown> => {
    const node = resolve(raw);
    if (Array.isArray(node.oneOf)) return fc.oneof(...(node.oneOf as Schema[]).map(build));
    if (Array.isArray(node.enum)) return fc.constantFrom(...(node.enum as unknown[]));
    switch (node.type) {
      case 'null':
        return fc.constant(null);
      case 'integer':
        return fc.integer({
          min: (node.minimum as number | undefined) ?? Number.MIN_SAFE_INTEGER,
          max: (node.maximum as number | undefined) ?? Number.MAX_SAFE_INTEGER,
        });
      case 'string':
        return stringFor(node);
      case 'array': {
        const items = build(node.items as Schema);
        const maxLength = Math.min((node.maxItems as number | undefined) ?? 10, 10);
        const uniqueBy = node['x-unique-by'];
        return typeof uniqueBy === 'string'
          ? fc.uniqueArray(items, { maxLength, selector: (item) => (item as Schema)[uniqueBy] })
          : fc.array(items, { maxLength });
      }
      case 'object': {
        const properties = (node.properties ?? {}) as Record<string, Schema>;
        const required = (node.required ?? []) as string[];
        const optional = Object.keys(properties).filter((key) => !required.includes(key));
        return fc
          .record(Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, build(value)])), {
            requiredKeys: required,
          })
          .map((record) => {
            for (const key of optional) if (record[key] === undefined) delete record[key];
            return record;
          });
      }
      default:
        throw new Error(`no arbitrary for schema ${JSON.stringify(node).slice(0, 200)}`);
    }
  };
  return build(schema);
}

function stringFor(node: Schema): fc.Arbitrary<string> {
  const minLength = (node.minLength as number | undefined) ?? 0;
  const maxLength = (node.maxLength as number | undefined) ?? 1000;
  const pattern = typeof node.pattern === 'string' ? new RegExp(node.pattern, 'u') : null;
  const base =
    node.format === 'uri'
      ? fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true })
      : pattern
        ? fc.stringMatching(pattern)
        : fc.string({ minLength, maxLength: Math.min(maxLength, 40) });
  return base.filter(
    (value) =>
      [...value].length >= minLength && [...value].length <= maxLength && (pattern?.test(value) ?? true),
  );
}
