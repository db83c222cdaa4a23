import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		globalSetup: ['test/setup/postgres.ts'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		// CI=true must not change what runs: every suite runs everywhere.
		allowOnly: false,
		passWithNoTests: false,
	},
});
