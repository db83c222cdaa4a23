-- Step 2: the scan proving the CHECK, under SHARE UPDATE EXCLUSIVE (writers go
-- on). Template: {{table}}, {{bound}} its constraint, quoted identifiers.
ALTER TABLE {{table}} VALIDATE CONSTRAINT {{bound}}
