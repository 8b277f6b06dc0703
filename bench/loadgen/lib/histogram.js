// Latency histogram in microseconds with ~1% relative precision: log-linear buckets, cheap
// to record into from a hot loop and to merge across worker processes.
const SUB_BUCKETS = 128; // per power of two: ~0.8% precision
const MAX_EXPONENT = 40;

export class Histogram {
  constructor(counts) {
    this.counts = counts ? Uint32Array.from(counts) : new Uint32Array(SUB_BUCKETS * MAX_EXPONENT);
  }

  record(micros) {
    this.counts[Histogram.indexOf(Math.max(0, Math.round(micros)))]++;
  }

  static indexOf(value) {
    if (value < SUB_BUCKETS) return value;
    const exponent = Math.floor(Math.log2(value / SUB_BUCKETS)) + 1;
    const sub = Math.floor(value / 2 ** exponent);
    return Math.min(exponent * SUB_BUCKETS + (sub - SUB_BUCKETS / 2), SUB_BUCKETS * MAX_EXPONENT - 1);
  }

  static valueOf(index) {
    if (index < SUB_BUCKETS) return index;
    const exponent = Math.floor(index / SUB_BUCKETS);
    const sub = (index % SUB_BUCKETS) + SUB_BUCKETS / 2;
    // The middle of the bucket.
    return (sub + 0.5) * 2 ** exponent;
  }

  merge(other) {
    const counts = other instanceof Histogram ? other.counts : other;
    for (let i = 0; i < counts.length; i++) this.counts[i] += counts[i];
    return this;
  }

  get total() {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  percentile(p) {
    const total = this.total;
    if (total === 0) return null;
    const rank = Math.ceil((p / 100) * total);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Histogram.valueOf(i);
    }
    return null;
  }

  /** Sparse form for JSON: [[index, count], ...]. */
  toSparse() {
    const out = [];
    this.counts.forEach((c, i) => { if (c) out.push([i, c]); });
    return out;
  }

  static fromSparse(pairs) {
    const h = new Histogram();
    for (const [i, c] of pairs) h.counts[i] += c;
    return h;
  }
}
