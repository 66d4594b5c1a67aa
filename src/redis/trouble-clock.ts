// When this process last met Redis trouble (refused, unanswered, out of memory): a task's failure soon after may only say that other work was held up by it.

let last = 0;

/** Records Redis trouble seen now (a command refused or unanswered, a connection lost). */
export function noteRedisTrouble(at = Date.now()): void {
  if (at > last) last = at;
}

/** When this process last met Redis trouble (ms since the epoch); 0: never. */
export function lastRedisTroubleAt(): number {
  return last;
}
