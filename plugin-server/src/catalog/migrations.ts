/**
 * The repository catalog's schema, as an ordered list of migrations. The catalog may share its
 * SQLite file with other parts of Lifeline (jobs, protection), which keep their versions in a
 * component_schema table of their own: the catalog's tables carry the prefix repo_, and its
 * version is the file's user_version, which nothing else uses. Opening applies the missing
 * migrations in one transaction. A migration is never edited once released: changes are new
 * entries.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: restore points, disks, retention history, writers, maintenance locks, runs, damage.
  `
  CREATE TABLE repo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  CREATE TABLE repo_points (
    id TEXT PRIMARY KEY,
    vm_id TEXT NOT NULL,
    vm_name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'deleting')),
    consistency TEXT NOT NULL CHECK (consistency IN ('application', 'crash')),
    created_at INTEGER NOT NULL,
    retain_until INTEGER NOT NULL,
    parent_id TEXT,
    damaged INTEGER NOT NULL DEFAULT 0,
    logical_bytes INTEGER NOT NULL DEFAULT 0,
    data_bytes INTEGER NOT NULL DEFAULT 0,
    read_bytes INTEGER NOT NULL DEFAULT 0,
    new_chunks INTEGER NOT NULL DEFAULT 0,
    new_stored_bytes INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  -- "Points of a VM" and "latest point of a VM" are range scans of this index, newest first.
  CREATE INDEX repo_points_by_vm ON repo_points (vm_id, state, created_at);
  CREATE INDEX repo_points_by_state ON repo_points (state, created_at);

  CREATE TABLE repo_disks (
    point_id TEXT NOT NULL REFERENCES repo_points (id) ON DELETE CASCADE,
    disk INTEGER NOT NULL,
    label TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    index_key TEXT NOT NULL,
    index_sha256 TEXT NOT NULL,
    change_id TEXT,
    PRIMARY KEY (point_id, disk)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE repo_retention_log (
    point_id TEXT NOT NULL REFERENCES repo_points (id) ON DELETE CASCADE,
    retain_until INTEGER NOT NULL,
    set_at INTEGER NOT NULL,
    reason TEXT NOT NULL
  ) STRICT;
  CREATE INDEX repo_retention_log_by_point ON repo_retention_log (point_id);

  CREATE TABLE repo_writers (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    point_id TEXT NOT NULL,
    vm_id TEXT NOT NULL,
    base_id TEXT,
    started_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE repo_maintenance (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    started_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE repo_runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('gc', 'verify', 'prune')),
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT,
    summary TEXT
  ) STRICT;
  CREATE INDEX repo_runs_by_kind ON repo_runs (kind, id);

  CREATE TABLE repo_damaged_chunks (
    digest TEXT PRIMARY KEY,
    problem TEXT NOT NULL CHECK (problem IN ('corrupt', 'missing')),
    detail TEXT NOT NULL,
    found_at INTEGER NOT NULL,
    run_id INTEGER
  ) STRICT;

  CREATE TABLE repo_point_damage (
    point_id TEXT NOT NULL REFERENCES repo_points (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    PRIMARY KEY (point_id, digest)
  ) STRICT, WITHOUT ROWID;
  `,
];
