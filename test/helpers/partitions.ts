// For the tests of a table `handoff-top partition` converted: make it look as
// if the conversion had been made 4 days ago.
type Query = (text: string) => Promise<unknown>;

/** The converted table (T_legacy) ends 3 days ago (midnight UTC): its newer rows are removed and it is attached
 * again with that upper bound, so the sweep finds a partition entirely past a 1-day period. */
export async function convertedDaysAgo(query: Query, table: string, column: string): Promise<void> {
	await query(
		`ALTER TABLE ${table} DETACH PARTITION ${table}_legacy;
		 DELETE FROM ${table}_legacy WHERE ${column} >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '3 days';
		 ALTER TABLE ${table}_legacy DROP CONSTRAINT ${table}_legacy_bound;
		 DO $$ BEGIN EXECUTE format('ALTER TABLE ${table} ATTACH PARTITION ${table}_legacy FOR VALUES FROM (MINVALUE) TO (%L)',
		                            date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '3 days'); END $$`,
	);
}
