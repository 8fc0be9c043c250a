-- statekeeper schema 3: each namespace's incarnation, for watch cursors.
--
-- A watch cursor is a revision plus the incarnation of the namespace it was
-- taken from (messages/watch.hpp); a cursor of another incarnation gets
-- cursor_expired. The service picks a random incarnation when it first
-- loads a namespace that has none, and in async durability on every load,
-- and writes it with the namespace's revision. 0: none yet (namespaces
-- stored before this migration get one when next written).

ALTER TABLE sk_namespaces ADD COLUMN incarnation bigint NOT NULL DEFAULT 0;
