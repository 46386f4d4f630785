-- The tags of each bookmark, one row a tag. `owner` is repeated here so that listing a user's
-- tags needs no join and `users remove` erases them by that column alone; deleting a bookmark
-- takes its tags with it.
CREATE TABLE tags (
    bookmark_id {bigint} NOT NULL REFERENCES bookmarks (id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (bookmark_id, tag)
);

CREATE INDEX tags_owner_tag ON tags (owner, tag);
