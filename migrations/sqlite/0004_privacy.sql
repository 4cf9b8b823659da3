-- Privacy lifecycle (services::privacy). An enrollment whose personal data were erased (at the
-- end of the retention period, after a cancellation, or on request, art. 17 GDPR) keeps its
-- role, ente, Comune, Ambito, status and dates for the record; `erased_at` says when the rest
-- went. A workshop's `personal_data_erased_at` marks the retention sweep done, so that several
-- instances on one database do it once (doing it twice changes nothing anyway).
ALTER TABLE enrollments ADD COLUMN erased_at INTEGER;
ALTER TABLE workshops ADD COLUMN personal_data_erased_at INTEGER;
