-- A dry run reads inside a transaction that cannot write.
BEGIN READ ONLY
