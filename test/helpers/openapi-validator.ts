import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, Json>;
}

const ROOT = resolve(import.meta.dirname, '../..');

/** The committed `openapi.json`, the document clients generate code from. */
export function loadDocument(file = resolve(ROOT, 'openapi.json')): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/**
 * Checks answers against the OpenAPI document: the status must be documented for the operation, the
 * body must match its schema (no undocumented field: the schemas forbid additional properties), and
 * the documented headers must hold. Answers for paths the document does not describe are not checked.
 */
export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(private readonly document: Json = loadDocument()) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi.json');
  }

  private resolve<T>(node: T): T {
    const pointer = (node as { $ref?: string })?.$ref;
    if (!pointer) return node;
    const target = pointer
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>(
        (at, key) => (at as Json)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
        this.document,
      );
    return this.resolve(target as T);
  }

  /** A schema of the document, compiled where its `$ref`s resolve against the document itself. */
  private validator(schema: Json) {
    const pointer = schema.$ref;
    return this.ajv.compile(
      typeof pointer === 'string' && pointer.startsWith('#') ? { $ref: `openapi.json${pointer}` } : schema,
    );
  }

  private operation(method: string, path: string): Operation | null {
    const paths = this.document.paths as Record<string, Record<string, Operation>>;
    return paths[path]?.[method.toLowerCase()] ?? null;
  }

  /** Problems found, as readable lines; empty when the answer is what the document says. */
  check(method: string, path: string, status: number, headers: Headers, body: string): string[] {
    const operation = this.operation(method, path);
    if (!operation) return [];
    const where = `${method} ${path} → ${status}`;
    const response = this.resolve(operation.responses[String(status)] ?? operation.responses.default);
    if (!response) return [`${where}: status not documented`];
    const problems: string[] = [];
    for (const [name, rawHeader] of Object.entries((response.headers as Json | undefined) ?? {})) {
      const header = this.resolve(rawHeader as Json);
      const value = headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: header ${name} missing`);
        continue;
      }
      const validate = this.validator(header.schema as Json);
      if (!validate(value))
        problems.push(`${where}: header ${name}: ${this.ajv.errorsText(validate.errors)}`);
    }
    const content = (response.content as Record<string, { schema: Json }> | undefined)?.['application/json'];
    if (body === '') {
      if (content && method !== 'HEAD') problems.push(`${where}: documented body missing`);
      return problems;
    }
    if (!content) return [...problems, `${where}: body not documented`];
    if (!headers.get('content-type')?.startsWith('application/json')) problems.push(`${where}: not JSON`);
    const validate = this.validator(content.schema);
    if (!validate(JSON.parse(body))) problems.push(`${where}: ${this.ajv.errorsText(validate.errors)}`);
    return problems;
  }
}
