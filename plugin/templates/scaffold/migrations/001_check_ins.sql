-- One row per habit, day and owner. `owner` is the column `python main.py users remove`
-- erases a user's rows by; {id} is an auto-numbered key on SQLite and PostgreSQL alike.
CREATE TABLE check_ins (
    id {id},
    owner TEXT NOT NULL,
    habit TEXT NOT NULL,
    day TEXT NOT NULL,
    UNIQUE (owner, habit, day)
);
