-- statekeeper schema 1: namespaces with their revision, and entries.
--
-- Namespaces and keys are stored as bytea holding their UTF-8 bytes, so
-- storage and ordering are byte-exact whatever the server's encoding and
-- collation. `ns` is the rendered namespace (messages/namespace_path.hpp):
-- segments joined by '/', with '/' and '%' escaped inside segments, so the
-- namespaces under "acme/agent-a" are exactly those whose `ns` equals it or
-- starts with "acme/agent-a/".
-- Expiry times are nanoseconds since the Unix epoch (UTC); NULL: never.

CREATE TABLE sk_namespaces (
  ns       bytea  PRIMARY KEY,
  -- The revision of the last change applied to the namespace. Kept even
  -- when the namespace is emptied, so versions keep growing.
  revision bigint NOT NULL CHECK (revision >= 0)
);

CREATE TABLE sk_entries (
  ns         bytea  NOT NULL,
  key        bytea  NOT NULL,
  value      bytea  NOT NULL,
  version    bigint NOT NULL CHECK (version > 0),
  expires_at bigint,
  PRIMARY KEY (ns, key)
);

-- Finds expired rows without scanning live ones (timer purge).
CREATE INDEX sk_entries_expiry ON sk_entries (expires_at)
  WHERE expires_at IS NOT NULL;
