-- The live board: an append-only log of events per meeting (see src/domain/board.rs).
-- `seq` numbers a meeting's events without gaps; `op_id` is the client's id of the operation,
-- unique per meeting so that a resent operation is recognised and never applied twice.
CREATE TABLE board_events (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    seq INTEGER NOT NULL,
    op_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, seq),
    UNIQUE (meeting_id, op_id)
);

-- People who joined one meeting with a guest code (e.g. a Terzo settore representative).
CREATE TABLE guests (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    name TEXT NOT NULL,
    organisation TEXT,
    created_at INTEGER NOT NULL
);

ALTER TABLE sessions ADD COLUMN guest_id INTEGER REFERENCES guests(id);
