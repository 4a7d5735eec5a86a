// Latencies counted per whole millisecond, for percentiles over any slice of a
// run (the soak's intervals). autocannon keeps one histogram per run and
// exposes no way to read it part-way, so the load generator feeds this one
// from autocannon's 'response' events instead.
//
// Exact at 1 ms resolution and read the way autocannon reads its own
// (hdr-histogram, 5 significant digits, values truncated to whole ms: exact
// below 100 s), so its percentiles over a whole run equal autocannon's.
export class LatencyHistogram {
  #counts = new Map()
  total = 0
  max = 0

  record (ms) {
    const value = Math.trunc(ms)
    this.#counts.set(value, (this.#counts.get(value) ?? 0) + 1)
    this.total++
    if (value > this.max) this.max = value
  }

  add (other) {
    for (const [value, count] of other.#counts) this.#counts.set(value, (this.#counts.get(value) ?? 0) + count)
    this.total += other.total
    this.max = Math.max(this.max, other.max)
  }

  // hdr-histogram's rule: the smallest value with at least round(p% of the count) values at or below it.
  percentile (p) {
    if (this.total === 0) return null
    const rank = Math.max(1, Math.floor((p / 100) * this.total + 0.5))
    let seen = 0
    for (const value of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(value)
      if (seen >= rank) return value
    }
    return this.max
  }
}
