-- statekeeper schema 4: several nodes on one database.
--
-- Each running node is a member: it inserts its row at start, renews
-- `heartbeat_at` (the database's clock) every heartbeat interval and
-- deletes the row when it stops. A member whose heartbeat is older than the
-- member timeout is dead.
--
-- A namespace is owned under a lease: the member that owns it and an epoch
-- that grows on every change of owner, release included. A node takes a
-- lease that is free, its own, or held by a dead (or departed) member,
-- before it loads the namespace; every commit checks, in its transaction
-- and under a share lock on the lease row, that the epoch it writes under is
-- still the current one. So once a lease has passed to another node, the
-- previous owner can never commit for that namespace again.

CREATE TABLE sk_members (
  -- Random, new on every start of a node.
  id           bigint      PRIMARY KEY,
  name         text        NOT NULL,
  -- Where other nodes and clients reach the node (its CAF port).
  address      text        NOT NULL,
  port         integer     NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sk_leases (
  ns    bytea  PRIMARY KEY,
  -- sk_members.id of the owner; NULL once released. Not a foreign key: a
  -- member's row goes when it stops, and its leases are then free.
  owner bigint,
  epoch bigint NOT NULL CHECK (epoch > 0)
);

-- The lease epoch each change was committed under (0: a single node), so
-- that the order of owners of a namespace can be checked from its history.
ALTER TABLE sk_changes ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
