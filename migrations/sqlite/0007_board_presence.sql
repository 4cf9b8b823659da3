-- Who is connected to which board through which instance, so that the presence people see
-- counts the connections of every instance on one PostgreSQL database. Rows live only while
-- people are connected: an instance deletes its own when they leave, when a room closes and
-- when it stops; any instance deletes those of an instance whose heartbeat stopped (a crash).
-- SQLite has a single instance, which counts in memory: there these tables stay empty.
CREATE TABLE board_instances (
    id TEXT PRIMARY KEY,
    beat_at BIGINT NOT NULL
);

CREATE TABLE board_presence (
    instance_id TEXT NOT NULL REFERENCES board_instances(id) ON DELETE CASCADE,
    meeting_id BIGINT NOT NULL,
    person TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT,
    PRIMARY KEY (meeting_id, instance_id, person)
);
