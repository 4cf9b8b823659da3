-- Tavolo schema (SQLite). Times are epoch milliseconds (INTEGER), booleans 0/1, so that the same
-- queries run through sqlx `Any` on SQLite and PostgreSQL (see migrations/postgres).

-- Workshops as last synced from workshops/*.toml. `definition` is the validated file as JSON;
-- capacity and the window are columns because the enrollment decision reads them under lock.
CREATE TABLE workshops (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    enrollment_opens INTEGER NOT NULL,
    enrollment_closes INTEGER NOT NULL,
    -- 1 once everyone still waiting at the close was told that no seat is left.
    closed_processed INTEGER NOT NULL DEFAULT 0,
    -- Bumped by every enrollment decision: the UPDATE takes the write lock (SQLite) or the row
    -- lock (PostgreSQL) before anything is read, so decisions on one workshop are serialised.
    lock_version INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);

-- Meetings keep their id across edits of the file: they are matched by `key` ("M1-2").
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    workshop_id INTEGER NOT NULL REFERENCES workshops(id),
    key TEXT NOT NULL,
    module_number INTEGER NOT NULL,
    number INTEGER NOT NULL,
    date TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    place TEXT NOT NULL,
    board_template TEXT NOT NULL,
    UNIQUE (workshop_id, key)
);

-- One row per application. `arrival` is stamped when the request enters the server and
-- decides the order; `status` is confirmed | waitlisted | cancelled | not_admitted.
CREATE TABLE enrollments (
    id INTEGER PRIMARY KEY,
    workshop_id INTEGER NOT NULL REFERENCES workshops(id),
    arrival INTEGER NOT NULL,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    ente TEXT NOT NULL,
    comune_istat TEXT,
    ambito TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workshop_id, email_norm)
);
CREATE INDEX enrollments_queue ON enrollments (workshop_id, status, arrival);

-- Private links of an enrollment: every e-mail carries a fresh one (a promoted person gets a
-- working link in the promotion mail); all stay valid. Only SHA-256 hashes are stored.
CREATE TABLE enrollment_links (
    token_hash TEXT PRIMARY KEY,
    enrollment_id INTEGER NOT NULL REFERENCES enrollments(id),
    created_at INTEGER NOT NULL
);

-- Transactional outbox: written in the same transaction as the status change it reports.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    enrollment_id INTEGER REFERENCES enrollments(id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE account_workshops (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    workshop_id INTEGER NOT NULL REFERENCES workshops(id),
    PRIMARY KEY (account_id, workshop_id)
);

-- Server-side sessions: the cookie holds a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id),
    enrollment_id INTEGER REFERENCES enrollments(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- One-time links: the first organiser's setup link, or a password link for a new account.
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    workshop_id INTEGER,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- Registro presenze: one row per (meeting, enrolled person) once marked.
CREATE TABLE attendance (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    enrollment_id INTEGER NOT NULL REFERENCES enrollments(id),
    present INTEGER NOT NULL,
    source TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, enrollment_id)
);
