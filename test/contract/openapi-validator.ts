// Checks answers of a Lifeline server against its OpenAPI document (plugin-server/src/api/openapi),
// with ajv, so that the document cannot drift from what the routes send. The suites' HTTP clients
// (test/server/https-client.ts, sse-client.ts, test/export/download.ts) run every answer they get
// from /api/v1 through here: a status the operation does not list, a media type it does not name,
// or a body its schema refuses is a violation, and the call that received it fails. A path or
// method the document does not have must be answered 404 with a problem, as unknown routes are
// (or 400, 413, 415 for a body the server could not parse, which happens before routing).
import type { IncomingHttpHeaders } from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { openApiDocument } from '../../plugin-server/src/api/openapi/document.js';
import { noteDocumentedOperations, noteValidated } from './contract-stats.js';

const DOC_ID = 'https://lifeline.invalid/openapi.json';
const API_PREFIX = '/api/v1/';
/** What the API answers for a body it cannot read, before it looks at the route. */
const BODY_PARSER_STATUSES = [400, 413, 415];
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

type Json = Record<string, unknown>;

export interface ObservedResponse {
  readonly method: string;
  /** The absolute URL, or a path from the server's root. */
  readonly url: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as received; undefined when the caller did not read it (a held or aborted download). */
  readonly body?: string | Buffer | undefined;
}

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

interface Route {
  readonly template: string;
  readonly pattern: RegExp;
  readonly params: number;
  readonly item: Json;
}

// ajv-formats is CommonJS with a default export; under NodeNext its namespace holds it.
const addFormats = addFormatsModule.default;

class DocumentValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...doc, $id: DOC_ID });
    const paths = doc['paths'] as Record<string, Json>;
    this.routes = Object.entries(paths)
      .map(([template, item]) => {
        const parts = template.split(/\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        return { template, pattern: new RegExp(`^${parts.join('([^/]+)')}/?$`, 'i'), params: parts.length - 1, item };
      })
      // A literal path wins over a template that also matches it.
      .sort((a, b) => a.params - b.params);
  }

  /** The object at this JSON pointer (escaped as in a $ref) of the document. */
  private at(pointer: string): Json {
    const found = pointer
      .split('/')
      .slice(1)
      .reduce<unknown>((at, seg) => (at as Json | undefined)?.[decodeURIComponent(seg).replace(/~1/g, '/').replace(/~0/g, '~')], this.doc);
    if (typeof found !== 'object' || found === null) throw new Error(`the document has nothing at #${pointer}`);
    return found as Json;
  }

  /** A validator of the schema at this JSON pointer of the document. */
  private schemaAt(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }

  /** `METHOD /template` of the documented operation that answered, if the document has it. */
  operationOf(r: ObservedResponse): string | undefined {
    const path = pathOf(r.url);
    const route = this.routes.find((x) => x.pattern.test(path));
    return route?.item[r.method.toLowerCase()] ? `${r.method.toUpperCase()} ${route.template}` : undefined;
  }

  /** What is wrong with the answer; empty when the document describes it. */
  check(r: ObservedResponse): string[] {
    const path = pathOf(r.url);
    const method = r.method.toLowerCase();
    const route = this.routes.find((x) => x.pattern.test(path));
    const operation = route?.item[method] as Json | undefined;
    if (!route || !operation) {
      // Express answers an unknown route, or a method a route does not have, with 404; a body it
      // cannot parse is refused before any route is chosen.
      if (![404, ...BODY_PARSER_STATUSES].includes(r.status)) return [`${r.method} ${path} is not in the OpenAPI document, yet it was answered ${r.status}`];
      return this.checkBody(r, '/components/schemas/Problem', ['application/problem+json']);
    }
    const responses = operation['responses'] as Record<string, Json>;
    const listed = responses[String(r.status)];
    const where = `${r.method} ${route.template}`;
    if (!listed) return [`${where} answered ${r.status}, which the document does not list (it lists ${Object.keys(responses).join(', ')})`];
    // A shared response (the problems) is a reference into components.responses.
    const target = typeof listed['$ref'] === 'string' ? listed['$ref'].slice(1) : `/paths/${escape(route.template)}/${method}/responses/${r.status}`;
    const response = typeof listed['$ref'] === 'string' ? this.at(target) : listed;
    const content = response['content'] as Record<string, Json> | undefined;
    const media = mediaOf(r.headers);
    if (!content) {
      if (r.body !== undefined && r.body.length > 0) return [`${where} ${r.status} has no body in the document, yet ${r.body.length} bytes came`];
      return [];
    }
    const mediaTypes = Object.keys(content);
    if (!mediaTypes.includes(media)) return [`${where} ${r.status} came as ${media || '(no Content-Type)'}, the document names ${mediaTypes.join(', ')}`];
    if (!isJson(media) || method === 'head') return [];
    const base = `${target}/content/${escape(media)}/schema`;
    return this.checkBody(r, base, mediaTypes).map((e) => `${where} ${r.status}: ${e}`);
  }

  private checkBody(r: ObservedResponse, pointer: string, mediaTypes: readonly string[]): string[] {
    const media = mediaOf(r.headers);
    if (!mediaTypes.includes(media)) return [`${r.method} ${pathOf(r.url)} ${r.status} came as ${media || '(no Content-Type)'}, expected ${mediaTypes.join(', ')}`];
    if (r.body === undefined || r.method.toUpperCase() === 'HEAD') return [];
    let body: unknown;
    try {
      body = JSON.parse(r.body.toString());
    } catch {
      return [`the body is not JSON: ${r.body.toString().slice(0, 200)}`];
    }
    return this.errorsOf(this.schemaAt(pointer), body);
  }

  /** What is wrong with the data of one server-sent event of a job stream. */
  checkEvent(event: { readonly id: string | null; readonly event: string; readonly data: string }): string[] {
    let body: unknown;
    try {
      body = JSON.parse(event.data);
    } catch {
      return [`event ${event.id ?? ''} (${event.event}) has data that is not JSON`];
    }
    const errors = this.errorsOf(this.schemaAt('/components/schemas/JobEvent'), body);
    const b = body as Json;
    if (b['type'] !== event.event) errors.push(`event line says ${event.event}, the data's type is ${String(b['type'])}`);
    if (String(b['seq']) !== event.id) errors.push(`event id ${event.id ?? '(none)'} is not the data's seq ${String(b['seq'])}`);
    return errors.map((e) => `job event ${event.id ?? ''} (${event.event}): ${e}`);
  }

  private errorsOf(validate: ValidateFunction, body: unknown): string[] {
    if (validate(body)) return [];
    return (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : ''}`);
  }
}

function pathOf(url: string): string {
  return new URL(url, 'https://server.invalid').pathname;
}

function mediaOf(headers: IncomingHttpHeaders): string {
  return String(headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

const isJson = (media: string): boolean => media === 'application/json' || media.endsWith('+json');

/** A JSON pointer segment (RFC 6901), URI-encoded for a $ref fragment. */
function escape(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

let validator: DocumentValidator | undefined;
function documentValidator(): DocumentValidator {
  if (!validator) {
    validator = new DocumentValidator(openApiDocument('0.0.0'));
    noteDocumentedOperations(documentedOperations());
  }
  return validator;
}

/** Whether the document governs this URL: everything under /api/v1. */
export function isApiUrl(url: string): boolean {
  return pathOf(url).startsWith(API_PREFIX);
}

/**
 * The violations of one answer (empty: the document describes it). An API answer a server gave
 * is counted in the run's figures; `made: true` marks one a spec made up to test this check.
 */
export function responseViolations(r: ObservedResponse, opts: { readonly made?: boolean } = {}): string[] {
  if (!isApiUrl(r.url)) return [];
  const v = documentValidator();
  const found = v.check(r);
  if (opts.made !== true) noteValidated(found, 'response', v.operationOf(r), r.status);
  return found;
}

/** Throws a ContractViolation when the document does not describe the answer. */
export function assertDocumented(r: ObservedResponse): void {
  const found = responseViolations(r);
  if (found.length > 0) throw new ContractViolation(`The answer disagrees with the OpenAPI document:\n  ${found.join('\n  ')}`);
}

/** The violations of one job event. */
export function eventViolations(event: { readonly id: string | null; readonly event: string; readonly data: string }): string[] {
  const found = documentValidator().checkEvent(event);
  noteValidated(found, 'event');
  return found;
}

/** The operations of the document, as `METHOD /path`, for specs that check coverage. */
export function documentedOperations(): string[] {
  const paths = openApiDocument('0.0.0')['paths'] as Record<string, Json>;
  return Object.entries(paths).flatMap(([p, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${p}`));
}
