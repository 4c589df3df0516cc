// A log-linear latency histogram in the spirit of HdrHistogram: exact below
// 128 us, then 64 buckets per power of two (worst-case error 1.6%), from 1 us
// to about 70 minutes in 2,048 counters. It merges by adding counts and
// travels between processes as a sparse list.

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // buckets per octave above the linear range
const LINEAR = SUB * 2; // values below this are exact
const BUCKETS = LINEAR + 26 * SUB;

/** @param {number} us */
function indexOf(us) {
  const v = Math.max(0, Math.floor(us));
  if (v < LINEAR) return v;
  const octave = 31 - Math.clz32(v); // floor(log2 v), at least SUB_BITS + 1
  const shift = octave - SUB_BITS;
  const index = LINEAR + (octave - SUB_BITS - 1) * SUB + ((v >>> shift) - SUB);
  return Math.min(index, BUCKETS - 1);
}

/** Midpoint of a bucket's value range, in microseconds. */
function bucketValue(/** @type {number} */ index) {
  if (index < LINEAR) return index;
  const octave = Math.floor((index - LINEAR) / SUB) + SUB_BITS + 1;
  const shift = octave - SUB_BITS;
  const low = (SUB + ((index - LINEAR) % SUB)) * 2 ** shift;
  return low + 2 ** shift / 2;
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /** @param {number} us a latency in microseconds */
  record(us) {
    this.counts[indexOf(us)] += 1;
    this.count += 1;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  /** @param {number} p percentile, 0-100 @returns {number} microseconds */
  percentile(p) {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(bucketValue(i), this.max);
    }
    return this.max;
  }

  mean() {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /** @param {Histogram} other */
  add(other) {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** Summary in milliseconds, the unit of every report. */
  summary() {
    const ms = (/** @type {number} */ us) => Math.round(us) / 1000;
    return {
      count: this.count,
      mean: ms(this.mean()),
      p50: ms(this.percentile(50)),
      p90: ms(this.percentile(90)),
      p99: ms(this.percentile(99)),
      p999: ms(this.percentile(99.9)),
      max: ms(this.max),
    };
  }

  /** Sparse form for IPC and result files: [[index, count], ...]. */
  toJSON() {
    /** @type {Array<[number, number]>} */
    const buckets = [];
    this.counts.forEach((c, i) => {
      if (c > 0) buckets.push([i, c]);
    });
    return { count: this.count, sum: this.sum, max: this.max, buckets };
  }

  /** @param {{ count: number, sum: number, max: number, buckets: Array<[number, number]> }} json */
  static fromJSON(json) {
    const h = new Histogram();
    for (const [i, c] of json.buckets) h.counts[i] = c;
    h.count = json.count;
    h.sum = json.sum;
    h.max = json.max;
    return h;
  }
}
