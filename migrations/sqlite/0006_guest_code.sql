-- The guest code each guest joined with (its SHA-256, as for other secrets), so that a code
-- admits a bounded number of guests (`domain::guest_code::GUESTS_PER_CODE`) whichever
-- instance they join through. Guests who joined before have none.
ALTER TABLE guests ADD COLUMN code_hash TEXT;
CREATE INDEX guests_code ON guests (meeting_id, code_hash);
