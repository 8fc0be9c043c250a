-- statekeeper schema 2: the change log of each namespace, for watches.
--
-- One row per change record (messages/change.hpp), so that a watch can
-- resume from a revision after a restart or passivation. Rows are written in
-- the transaction that writes the entries they describe; the same
-- transaction deletes the rows at or below the namespace's history floor,
-- which keeps the log bounded. `ns` and `key` are stored as in sk_entries,
-- and so is `expires_at` (nanoseconds since the Unix epoch, UTC).

CREATE TABLE sk_changes (
  ns         bytea    NOT NULL,
  -- The namespace revision the change belongs to.
  revision   bigint   NOT NULL CHECK (revision > 0),
  -- The change's place within its revision, from 0.
  seq        integer  NOT NULL CHECK (seq >= 0),
  -- change_kind: 1 put, 2 erase, 3 expire, 4 clear. A new kind needs a
  -- migration that widens this check.
  kind       smallint NOT NULL CHECK (kind BETWEEN 1 AND 4),
  -- Empty for clear.
  key        bytea    NOT NULL,
  -- The new value and expiry of a put (expiry NULL: never); NULL for every
  -- other kind.
  value      bytea,
  expires_at bigint,
  PRIMARY KEY (ns, revision, seq),
  CONSTRAINT sk_changes_put_value CHECK ((kind = 1) = (value IS NOT NULL)),
  CONSTRAINT sk_changes_put_expiry CHECK (kind = 1 OR expires_at IS NULL)
);
