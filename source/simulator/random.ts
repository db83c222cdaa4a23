// Seeded randomness for the workload model: the same seed gives the same
// workload, so a test can replay one; the demo seeds from the clock.

export type Random = {
	/** Uniform in [0, 1). */
	next(): number;
	between(min: number, max: number): number;
	int(min: number, maxInclusive: number): number;
	chance(probability: number): boolean;
	pick<T>(items: readonly T[]): T;
	/** One key of `weights`, with probability proportional to its weight. */
	weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
	/** Log-normal with the given median and shape (sigma of the underlying normal). */
	logNormal(median: number, sigma: number): number;
	/** Exponential with the given mean (Poisson inter-arrival times). */
	exponential(mean: number): number;
};

/** mulberry32: small, fast, good enough for a workload. */
export function createRandom(seed: number): Random {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};

	const normal = () => {
		// Box-Muller; 1 - next() keeps log away from 0.
		const u = 1 - next();
		const v = next();
		return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
	};

	const random: Random = {
		next,
		between: (min, max) => min + (max - min) * next(),
		int: (min, maxInclusive) => min + Math.floor(next() * (maxInclusive - min + 1)),
		chance: probability => next() < probability,
		pick(items) {
			if (items.length === 0) throw new Error('pick from an empty list');
			return items[Math.floor(next() * items.length)]!;
		},
		weighted(weights) {
			const entries = Object.entries(weights) as Array<[keyof typeof weights, number]>;
			const total = entries.reduce((sum, [, weight]) => sum + Math.max(0, weight), 0);
			if (total <= 0) throw new Error('weighted pick with no positive weight');
			let point = next() * total;
			for (const [key, weight] of entries) {
				point -= Math.max(0, weight);
				if (point < 0) return key;
			}

			return entries.findLast(([, weight]) => weight > 0)![0];
		},
		logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
		exponential: mean => -mean * Math.log(1 - next()),
	};
	return random;
}
