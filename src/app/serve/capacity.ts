// What the server holds at once, bounded: images admitted (refused, not queued, beyond the
// bound: the client is told to come back) and images being decoded (a decoded image can be
// hundreds of MB, so only a few at a time; the rest wait their turn).

/** A count of admitted images that refuses to go above `max`. */
export class Admission {
  #used = 0;

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`the queue bound must be a positive integer, got ${max}`);
  }

  get used(): number {
    return this.#used;
  }

  /** Admit `n` images if they fit; false (and nothing taken) if not. */
  tryTake(n: number): boolean {
    if (this.#used + n > this.max) return false;
    this.#used += n;
    return true;
  }

  release(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}

/** Runs at most `concurrency` tasks at a time, the others in arrival order as places free up. */
export class Limiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly concurrency: number) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      // Hand the place straight to the next task (the count stays), or give it back.
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#running--;
    }
  }
}
