// How many answers of the API the run checked against the OpenAPI document, and how many
// disagreed: kept apart from the validator so that the reporter can print them without loading ajv.

let responses = 0;
let events = 0;
let violations = 0;

export function noteValidated(found: readonly string[], what: 'response' | 'event' = 'response'): void {
  if (what === 'response') responses++;
  else events++;
  if (found.length > 0) violations++;
}

export function contractStats(): { responses: number; events: number; violations: number } {
  return { responses, events, violations };
}
