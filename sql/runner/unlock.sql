SELECT pg_advisory_unlock(hashtext('handoff-top:migrate')) AS unlocked
