/** An invariant of our own code was broken: a bug, never bad input (bad input gets a validation error instead). */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
