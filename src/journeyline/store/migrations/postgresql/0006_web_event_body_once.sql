-- depends: 0005_erased_customers
-- A web event's body is stored once, in the log: its row of session_events names the log row
-- (log_key, the event's idempotency key) and holds an empty doc, where it held a copy of the
-- same bytes. Rows written before keep their doc and a NULL log_key; readers take the log's
-- body when log_key is set (EVENT_DOC in store/sql/conversations.py). (As the SQLite
-- migration 0014.)
ALTER TABLE session_events ADD COLUMN log_key TEXT;
