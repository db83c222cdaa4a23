-- Where a chart's window of $1 (an interval) starts and ends, by the server's clock.
SELECT now() - $1::interval AS starts_at, now() AS ends_at
