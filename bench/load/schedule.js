// Which target each request of an interleaved open-loop schedule goes to.
// The schedule is cut into slots and the slots into rounds of one slot per
// target; successive rounds take the targets in every possible order in
// turn, so every target follows every other about equally often (a target
// that always ran right after `bare` would always inherit its leftovers:
// its connections' and caches' state, a GC it started).

/**
 * @param {number} n          the request's index in the schedule
 * @param {number} intervalMs time between two requests
 * @param {number} slotMs     a slot's length
 * @param {number} k          how many targets share the schedule
 * @returns {number} the target's index, 0..k-1
 */
export function slotTarget(n, intervalMs, slotMs, k) {
  const slot = Math.floor((n * intervalMs) / slotMs);
  return nthPermutation(Math.floor(slot / k), k)[slot % k] ?? 0;
}

/** @type {Map<number, number[][]>} every permutation of 0..k-1, by k */
const PERMUTATIONS = new Map();

/** The `i`-th (mod k!) permutation of 0..k-1, in lexicographic order. @param {number} i @param {number} k */
function nthPermutation(i, k) {
  let all = PERMUTATIONS.get(k);
  if (!all) {
    all = permutations(Array.from({ length: k }, (_, j) => j));
    PERMUTATIONS.set(k, all);
  }
  return /** @type {number[]} */ (all[i % all.length]);
}

/** @param {number[]} items @returns {number[][]} */
function permutations(items) {
  if (items.length <= 1) return [items];
  return items.flatMap((first, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [first, ...rest]),
  );
}
