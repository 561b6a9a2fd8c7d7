// How many answers of the API the run checked against the OpenAPI document, how many disagreed,
// and which documented operations and statuses they covered: kept apart from the validator so
// that the reporter can print them without loading ajv.

let responses = 0;
let events = 0;
let violations = 0;
const seen = new Set<string>();
const answered = new Set<string>();
let documented: readonly string[] = [];

/** Counts one checked answer; `operation` is `METHOD /template` when the document has it. */
export function noteValidated(found: readonly string[], what: 'response' | 'event' = 'response', operation?: string, status?: number): void {
  if (what === 'response') responses++;
  else events++;
  if (found.length > 0) violations++;
  if (operation !== undefined) {
    seen.add(operation);
    if (status !== undefined) answered.add(`${operation} ${status}`);
  }
}

/** The operations the document has, as `METHOD /template`. */
export function noteDocumentedOperations(operations: readonly string[]): void {
  documented = operations;
}

export function contractStats(): { responses: number; events: number; violations: number; operations: number; operationStatuses: number; documented: number; unanswered: string[] } {
  const unanswered = documented.filter((o) => !seen.has(o));
  return { responses, events, violations, operations: seen.size, operationStatuses: answered.size, documented: documented.length, unanswered };
}
