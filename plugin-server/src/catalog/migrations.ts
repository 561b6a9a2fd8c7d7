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
  // 2: running totals of the committed points, kept by triggers, so the storage figures of a
  // catalog with a million points are two small reads instead of a scan of every point.
  `
  CREATE TABLE repo_totals (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    points INTEGER NOT NULL,
    logical_bytes INTEGER NOT NULL,
    data_bytes INTEGER NOT NULL,
    new_chunks INTEGER NOT NULL,
    new_stored_bytes INTEGER NOT NULL
  ) STRICT;
  INSERT INTO repo_totals
    SELECT 1, COUNT(*), COALESCE(SUM(logical_bytes), 0), COALESCE(SUM(data_bytes), 0), COALESCE(SUM(new_chunks), 0), COALESCE(SUM(new_stored_bytes), 0)
    FROM repo_points WHERE state = 'committed';

  CREATE TABLE repo_vm_totals (vm_id TEXT PRIMARY KEY, points INTEGER NOT NULL) STRICT, WITHOUT ROWID;
  INSERT INTO repo_vm_totals SELECT vm_id, COUNT(*) FROM repo_points WHERE state = 'committed' GROUP BY vm_id;

  CREATE TRIGGER repo_totals_insert AFTER INSERT ON repo_points WHEN NEW.state = 'committed' BEGIN
    UPDATE repo_totals SET points = points + 1, logical_bytes = logical_bytes + NEW.logical_bytes, data_bytes = data_bytes + NEW.data_bytes,
      new_chunks = new_chunks + NEW.new_chunks, new_stored_bytes = new_stored_bytes + NEW.new_stored_bytes WHERE id = 1;
    INSERT INTO repo_vm_totals (vm_id, points) VALUES (NEW.vm_id, 1) ON CONFLICT (vm_id) DO UPDATE SET points = points + 1;
  END;
  CREATE TRIGGER repo_totals_delete AFTER DELETE ON repo_points WHEN OLD.state = 'committed' BEGIN
    UPDATE repo_totals SET points = points - 1, logical_bytes = logical_bytes - OLD.logical_bytes, data_bytes = data_bytes - OLD.data_bytes,
      new_chunks = new_chunks - OLD.new_chunks, new_stored_bytes = new_stored_bytes - OLD.new_stored_bytes WHERE id = 1;
    UPDATE repo_vm_totals SET points = points - 1 WHERE vm_id = OLD.vm_id;
    DELETE FROM repo_vm_totals WHERE vm_id = OLD.vm_id AND points <= 0;
  END;
  -- An update is the old row leaving the totals and the new one entering them.
  CREATE TRIGGER repo_totals_update_old AFTER UPDATE OF state, vm_id, logical_bytes, data_bytes, new_chunks, new_stored_bytes ON repo_points
  WHEN OLD.state = 'committed' BEGIN
    UPDATE repo_totals SET points = points - 1, logical_bytes = logical_bytes - OLD.logical_bytes, data_bytes = data_bytes - OLD.data_bytes,
      new_chunks = new_chunks - OLD.new_chunks, new_stored_bytes = new_stored_bytes - OLD.new_stored_bytes WHERE id = 1;
    UPDATE repo_vm_totals SET points = points - 1 WHERE vm_id = OLD.vm_id;
    DELETE FROM repo_vm_totals WHERE vm_id = OLD.vm_id AND points <= 0;
  END;
  CREATE TRIGGER repo_totals_update_new AFTER UPDATE OF state, vm_id, logical_bytes, data_bytes, new_chunks, new_stored_bytes ON repo_points
  WHEN NEW.state = 'committed' BEGIN
    UPDATE repo_totals SET points = points + 1, logical_bytes = logical_bytes + NEW.logical_bytes, data_bytes = data_bytes + NEW.data_bytes,
      new_chunks = new_chunks + NEW.new_chunks, new_stored_bytes = new_stored_bytes + NEW.new_stored_bytes WHERE id = 1;
    INSERT INTO repo_vm_totals (vm_id, points) VALUES (NEW.vm_id, 1) ON CONFLICT (vm_id) DO UPDATE SET points = points + 1;
  END;
  `,
];
