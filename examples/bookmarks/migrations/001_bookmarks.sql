-- A bookmark belongs to an owner (the signed-in user, or ChatGPT's user: see handlers.py), and
-- an owner saves a URL once: a second save of it is a 409 naming the first. Every table here has
-- an `owner` column, which is what `python main.py users remove NAME` erases.
CREATE TABLE bookmarks (
    id {id},
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    rating INTEGER,
    comment TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (owner, url)
);

CREATE INDEX bookmarks_owner_id ON bookmarks (owner, id);
