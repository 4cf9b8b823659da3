-- Guests declare their Ambito territoriale too (optional), so that an export filtered by Ambito
-- keeps the Terzo settore voices of that Ambito.
ALTER TABLE guests ADD COLUMN ambito TEXT;

-- The meeting an audit entry concerns, when it concerns one (attendance marked by hand): the
-- register page lists the changes of its own meeting.
ALTER TABLE audit_log ADD COLUMN meeting_id BIGINT;
CREATE INDEX audit_log_meeting ON audit_log (meeting_id);
