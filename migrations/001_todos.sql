-- The TODO list's one table: each todo belongs to an owner (the `owner` column is what
-- `users remove` erases, in every plugin table that has one). Databases made before plugins
-- had their own migrations got this table from the server's first step: IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS todos (
    id {id},
    owner TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS todos_owner_id ON todos (owner, id);
