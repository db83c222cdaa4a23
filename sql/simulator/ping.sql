-- Is the database reachable again? (the simulator after a lost connection)
SELECT 1 AS ok
