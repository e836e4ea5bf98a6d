package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
)

// copier moves every row of a source into a target, table by table (see
// copy_tables.go for the order), in batches that each commit with the
// record of how far the copy got; a copy that stops anywhere resumes from
// that record. Then it rebuilds what the target derives from the rows,
// checks the counts and writes the mapping of ids that changed.
type copier struct {
	src copySource
	dst copyTarget
	// append copies into a target that holds data already.
	append bool
	// idmap is where the mapping of changed ids goes.
	idmap string
	// artifacts writes the bytes of file-backed resources that cannot keep
	// their uri into the target's backend, configured by artifactCfg.
	artifacts   *artifact.Store
	artifactCfg artifact.Config
	// copyFiles copies such bytes even where the target could read the
	// file (taking a project offline).
	copyFiles bool
	// keepFiles reports whether the target, used on this machine, reads
	// the files it names (a DuckDB file).
	keepFiles bool
	progress  *copyProgress
	// batch, when set, bounds the rows of every table's batches.
	batch int
	// afterBatch, when set, is called after each batch commits (tests stop
	// a copy there).
	afterBatch func(table string, rows int64)

	m        *idMapper
	state    *copyState
	tables   map[string]*tableProgress
	counts   map[string]int64
	warnings []string
}

// copyResult is what a finished copy did.
type copyResult struct {
	rows, points int64
	elapsed      time.Duration
	idmap        string // the mapping written, "" when no id changed
	idmapRows    int64
	warnings     []string
}

func (c *copier) run(ctx context.Context) (*copyResult, error) {
	began := time.Now()
	convert := c.src.integerIDs() && !c.dst.integerIDs()
	switch {
	case !c.src.integerIDs() && c.dst.integerIDs():
		return nil, core.Invalid("%s has UUID ids and %s integer ids: a copy never turns UUIDs into integers. Copy into a UUID store (a new file without --ids integer, or PostgreSQL)",
			c.src.describe(), c.dst.describe())
	case c.src.integerIDs() && c.dst.integerIDs() && c.append:
		return nil, core.Invalid("--append into a file with integer ids would need new integer ids for every row; copy into a new file, or into a UUID store, which gets a mapping of the ids")
	}
	st, tables, err := c.dst.load(ctx)
	if err != nil {
		return nil, err
	}
	if st != nil {
		if st.Source != c.src.describe() {
			return nil, core.Invalid("%s holds an unfinished copy from %s: finish it with ddd copy %s %s, or start again with an empty target",
				c.dst.describe(), st.Source, st.Source, c.dst.describe())
		}
		if st.Convert != convert {
			return nil, core.Invalid("%s holds an unfinished copy that made other ids; start again with an empty target", c.dst.describe())
		}
		c.progress.note("resuming the copy into %s", c.dst.describe())
		c.state, c.tables = st, tables
		if err := c.mapIDs(ctx); err != nil {
			return nil, err
		}
	} else {
		if !c.append {
			if what, err := c.holds(ctx); err != nil || what != "" {
				if err != nil {
					return nil, err
				}
				return nil, core.Errorf(core.EConflict, "%s is not empty: it holds %s. Copy into an empty store, or pass --append to add to it", c.dst.describe(), what)
			}
		}
		c.state = &copyState{Source: c.src.describe(), Convert: convert, Append: c.append}
		if convert {
			identity, err := c.src.identity(ctx)
			if err != nil {
				return nil, err
			}
			c.state.Salt = saltFor(identity)
			if c.state.Base, err = c.firstUserTime(ctx); err != nil {
				return nil, err
			}
		}
		if err := c.mapIDs(ctx); err != nil {
			return nil, err
		}
		if !c.append {
			if err := c.replaceDefaultUser(ctx); err != nil {
				return nil, err
			}
		}
		if err := c.dst.start(ctx, c.state); err != nil {
			return nil, fmt.Errorf("cannot record the copy in %s: %w", c.dst.describe(), err)
		}
		if _, c.tables, err = c.dst.load(ctx); err != nil {
			return nil, err
		}
	}
	c.counts = map[string]int64{}
	for _, t := range c.copied() {
		if c.counts[t.label()], err = c.src.count(ctx, t); err != nil {
			return nil, fmt.Errorf("cannot count %s in %s: %w", t.label(), c.src.describe(), err)
		}
	}
	for _, t := range c.copied() {
		p := c.tables[t.label()]
		if p == nil {
			return nil, fmt.Errorf("the record of the copy under way lacks table %s: start again with an empty target", t.label())
		}
		if p.done {
			c.progress.skip(t.label(), p.copied+p.merged)
			continue
		}
		if t.name == "user" && !c.state.Append {
			// A store opened since the copy began seeds a default user
			// when it has none yet.
			if err := c.replaceDefaultUser(ctx); err != nil {
				return nil, err
			}
		}
		if err := c.copyTable(ctx, t, p); err != nil {
			return nil, err
		}
	}
	c.progress.note("rebuilding summaries in %s", c.dst.describe())
	if err := c.dst.rebuild(ctx); err != nil {
		return nil, fmt.Errorf("cannot rebuild the summaries of %s: %w", c.dst.describe(), err)
	}
	res, err := c.verify(ctx)
	if err != nil {
		return nil, err
	}
	if c.m.changes() {
		if res.idmapRows, err = c.writeIDMap(ctx); err != nil {
			return nil, err
		}
		res.idmap = c.idmap
	}
	if err := c.dst.forget(ctx); err != nil {
		return nil, fmt.Errorf("the copy is complete, but its record could not be removed from %s: %w", c.dst.describe(), err)
	}
	res.elapsed = time.Since(began)
	res.warnings = c.warnings
	return res, nil
}

// copied are the tables this copy moves: the parents pass only where
// iterations go in without their parents.
func (c *copier) copied() []*copyTable {
	var out []*copyTable
	for _, t := range copyTables {
		if t.parents && !c.dst.parentsLater() {
			continue
		}
		out = append(out, t)
	}
	return out
}

// holds says what a target that should be empty holds, "" when it holds
// nothing but the default user its store seeded.
func (c *copier) holds(ctx context.Context) (string, error) {
	for _, t := range c.copied() {
		if t.parents {
			continue
		}
		n, err := c.dst.count(ctx, t)
		if err != nil {
			return "", err
		}
		if t.name == "user" {
			users, err := c.dst.users(ctx)
			if err != nil {
				return "", err
			}
			if len(users) == 0 || len(users) == 1 && users[0].username == core.DefaultUsername {
				continue
			}
		}
		if n > 0 {
			return fmt.Sprintf("rows in table %s (%s)", t.name, thousands(n)), nil
		}
	}
	return "", nil
}

// replaceDefaultUser removes the default user the target's store seeded,
// unless it is the source's, copied already: the source's takes its place,
// with its own id and password. Only for a copy into an empty target, whose
// default user nothing refers to.
func (c *copier) replaceDefaultUser(ctx context.Context) error {
	var source *targetUser
	t := copyTables[0]
	err := c.src.each(ctx, t, []string{"id", "username", "created_date", "password"}, func(v []any) error {
		if v[1] != core.DefaultUsername {
			return nil
		}
		id, err := c.m.own("user", v[0], v[2])
		if err != nil {
			return err
		}
		created, _ := v[2].(string)
		password, _ := v[3].(string)
		source = &targetUser{id: idText(id), username: core.DefaultUsername, created: created, password: password}
		return nil
	})
	if err != nil || source == nil {
		return err
	}
	users, err := c.dst.users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.username == core.DefaultUsername && u != *source {
			return c.dst.deleteUser(ctx, u.id)
		}
	}
	return nil
}

// firstUserTime is the time of rows without a date of their own when ids
// become UUIDs: the store's first user's, made with the store.
func (c *copier) firstUserTime(ctx context.Context) (int64, error) {
	var first int64 = -1
	m := &idMapper{base: -1}
	err := c.src.each(ctx, copyTables[0], []string{"created_date"}, func(v []any) error {
		if ms := m.timeMS(v[0]); ms >= 0 && (first < 0 || ms < first) {
			first = ms
		}
		return nil
	})
	return max(first, 0), err
}

// mapIDs prepares the ids: the dates that new UUIDs take, for the tables
// whose rows others refer to, and with --append the users and tags that
// the target has already.
func (c *copier) mapIDs(ctx context.Context) error {
	c.m = &idMapper{convert: c.state.Convert, salt: c.state.Salt, base: c.state.Base,
		dates: map[string]map[int64]int64{}, merged: map[string]map[string]string{}}
	if c.state.Convert {
		for _, name := range referenced {
			t := tableNamed(name)
			if t.date == "" {
				continue
			}
			dates := map[int64]int64{}
			err := c.src.each(ctx, t, []string{"id", t.date}, func(v []any) error {
				if id, ok := v[0].(int64); ok {
					dates[id] = c.m.timeMS(v[1])
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("cannot read the ids of %s: %w", name, err)
			}
			c.m.dates[name] = dates
		}
	}
	if !c.state.Append {
		return nil
	}
	users, err := c.dst.users(ctx)
	if err != nil {
		return err
	}
	byName := map[string]string{}
	for _, u := range users {
		byName[u.username] = u.id
	}
	if err := c.merge(ctx, "user", "username", byName); err != nil {
		return err
	}
	tags, err := c.dst.tags(ctx)
	if err != nil {
		return err
	}
	return c.merge(ctx, "tag", "value", tags)
}

// merge maps the source's rows of table whose unique column the target has
// already, under another id, to the target's row.
func (c *copier) merge(ctx context.Context, table, column string, existing map[string]string) error {
	t := tableNamed(table)
	merged := map[string]string{}
	dateColumn := t.date
	if dateColumn == "" {
		dateColumn = column // any column: the date is not read
	}
	err := c.src.each(ctx, t, []string{"id", column, dateColumn}, func(v []any) error {
		value, _ := v[1].(string)
		have, ok := existing[value]
		if !ok {
			return nil
		}
		var date any
		if t.date != "" {
			date = v[2]
		}
		id, err := c.m.own(table, v[0], date)
		if err != nil {
			return err
		}
		if idText(id) != have {
			merged[idText(v[0])] = have
		}
		return nil
	})
	c.m.merged[table] = merged
	return err
}

func tableNamed(name string) *copyTable {
	for _, t := range copyTables {
		if t.name == name && !t.parents {
			return t
		}
	}
	panic("no table " + name)
}

// copyTable moves one table: the source reads the next batch while the
// target writes the last.
func (c *copier) copyTable(parent context.Context, t *copyTable, p *tableProgress) error {
	c.progress.begin(t.label(), c.counts[t.label()], p.copied+p.merged)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	batches := make(chan copyBatch, 1)
	scanned := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := t.rowsPerBatch()
		if c.batch > 0 {
			batch = c.batch
		}
		scanned <- c.src.scan(ctx, t, p.after, batch, func(b copyBatch) error {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var err error
	for b := range batches {
		if err != nil {
			continue // drain, so the reader ends
		}
		var (
			rows   [][]any
			merged int64
		)
		if rows, merged, err = c.transform(ctx, t, b.rows); err == nil {
			err = c.dst.write(ctx, t, rows, b.after, merged)
		}
		if err != nil {
			cancel()
			continue
		}
		p.after = b.after
		p.copied += int64(len(rows))
		p.merged += merged
		c.progress.add(int64(len(b.rows)))
		if c.afterBatch != nil {
			c.afterBatch(t.label(), p.copied+p.merged)
		}
	}
	if serr := <-scanned; err == nil {
		err = serr
	}
	if err == nil {
		err = c.dst.finish(ctx, t)
	}
	if err != nil {
		c.progress.stop()
		if parent.Err() != nil {
			return fmt.Errorf("the copy stopped in table %s after %d of its rows; run the same command again to finish it: %w",
				t.label(), p.copied+p.merged, context.Cause(parent))
		}
		if duplicate(err) {
			return fmt.Errorf("copying table %s: %s has one of these rows already (was this store copied into it before?): %s",
				t.label(), c.dst.describe(), describeError(err))
		}
		return fmt.Errorf("copying table %s: %s", t.label(), describeError(err))
	}
	p.done = true
	c.progress.end(t.label(), p.copied+p.merged)
	return nil
}

// duplicate reports a row refused for an id or a name the target has.
func duplicate(err error) bool {
	msg := err.Error()
	return core.ErrorCode(err) == core.EConflict || strings.Contains(msg, "duplicate key") ||
		strings.Contains(msg, "violates unique constraint") || strings.Contains(msg, "violates primary key constraint")
}

// describeError is an error with what the database said: a store's error
// message alone can hide which row was refused.
func describeError(err error) string {
	var e *core.Error
	if errors.As(err, &e) && e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return err.Error()
}

// transform gives the rows of a batch their ids in the target, leaves out
// those the target has already (--append), and moves the bytes of
// file-backed resources that cannot keep their file.
func (c *copier) transform(ctx context.Context, t *copyTable, rows [][]any) ([][]any, int64, error) {
	out := rows[:0]
	var merged int64
	idAt, dateAt := t.column(t.id), t.column(t.date)
	for _, r := range rows {
		if idAt >= 0 {
			if _, ok := c.m.merged[t.name][idText(r[idAt])]; ok {
				merged++
				continue
			}
		}
		if err := c.remap(ctx, t, r, idAt, dateAt); err != nil {
			name := t.name
			if idAt >= 0 {
				name += " " + idText(r[idAt])
			}
			return nil, 0, fmt.Errorf("%s: %w", quoteName(name), err)
		}
		out = append(out, r)
	}
	return out, merged, nil
}

func (c *copier) remap(ctx context.Context, t *copyTable, r []any, idAt, dateAt int) error {
	var err error
	for column, table := range t.refs {
		at := t.column(column)
		if r[at], err = c.m.ref(table, r[at]); err != nil {
			return err
		}
	}
	if idAt >= 0 {
		var date any
		if dateAt >= 0 {
			date = r[dateAt]
		}
		if r[idAt], err = c.m.own(t.name, r[idAt], date); err != nil {
			return err
		}
	}
	switch {
	case t.name == "iteration" && !t.parents && c.dst.parentsLater():
		r[t.column("parent_iteration_id")] = nil
	case t.name == "iteration_snapshot":
		at := t.column("files_key")
		r[at], err = c.m.filesKey(r[at])
	case t.name == "iteration_snapshot_file":
		at := t.column("iteration_id")
		r[at], err = c.m.filesKey(r[at])
	case t.name == "resource":
		err = c.resourceBytes(ctx, t, r)
	}
	return err
}

// maxInlineCopy bounds the bytes of a file copied into an inline target:
// a row's bytes are read whole.
const maxInlineCopy = 64 << 20

// resourceBytes keeps a file-backed resource's uri where the target can
// read the file, and otherwise copies its bytes into the target's backend.
// Inline bytes travel in the row; rows in S3 keep naming their object.
func (c *copier) resourceBytes(ctx context.Context, t *copyTable, r []any) error {
	backend, _ := r[t.column("backend")].(string)
	uri, _ := r[t.column("uri")].(string)
	if backend != core.BackendFilesystem || uri == "" {
		return nil
	}
	path := strings.TrimPrefix(uri, "file://")
	info, statErr := os.Stat(path)
	if !c.copyFiles {
		if c.keepFiles && statErr == nil {
			return nil
		}
		if c.artifactCfg.Backend == core.BackendFilesystem && within(c.artifactCfg.Root, path) {
			return nil
		}
	}
	if statErr != nil {
		if errors.Is(statErr, fs.ErrNotExist) {
			c.warnings = append(c.warnings, fmt.Sprintf("resource %s names %s, which is not on this machine: its row was copied as it is", idText(r[t.column("id")]), path))
			return nil
		}
		return statErr
	}
	if c.artifacts.Backend() == core.BackendInline && info.Size() > maxInlineCopy {
		return core.Invalid("its file %s holds %d bytes, too many to copy into the row: give the target a filesystem or S3 backend (--artifact-backend)", path, info.Size())
	}
	f, err := c.artifacts.Open(ctx, core.BackendFilesystem, uri, nil)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := c.artifacts.Write(ctx, f)
	if err != nil {
		return err
	}
	if hash, _ := r[t.column("content_hash")].(string); hash != "" && hash != w.Hash {
		c.warnings = append(c.warnings, fmt.Sprintf("resource %s: the bytes of %s do not have the sha256 its row records; they were copied as they are", idText(r[t.column("id")]), path))
	}
	r[t.column("backend")], r[t.column("uri")], r[t.column("data")] = w.Backend, w.URI, w.Data()
	r[t.column("size_bytes")], r[t.column("content_hash")] = w.Size, w.Hash
	return nil
}

// within reports whether path lies under root.
func within(root, path string) bool {
	if root == "" {
		root = artifact.DefaultRoot
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(abs, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// verify checks each table's counts: the source's rows are all in the
// target, once.
func (c *copier) verify(ctx context.Context) (*copyResult, error) {
	_, tables, err := c.dst.load(ctx)
	if err != nil {
		return nil, err
	}
	res := &copyResult{}
	var wrong []string
	for _, t := range c.copied() {
		p := tables[t.label()]
		if p == nil {
			return nil, fmt.Errorf("the record of the copy lacks table %s", t.label())
		}
		n, err := c.dst.count(ctx, t)
		if err != nil {
			return nil, err
		}
		src := c.counts[t.label()]
		switch {
		case p.copied+p.merged != src:
			wrong = append(wrong, fmt.Sprintf("%s: %s has %d rows, the copy took %d", t.label(), c.src.describe(), src, p.copied+p.merged))
		case n-p.had != p.copied:
			wrong = append(wrong, fmt.Sprintf("%s: the copy wrote %d rows, %s has %d more than it had", t.label(), p.copied, c.dst.describe(), n-p.had))
		}
		if !t.parents {
			res.rows += p.copied
		}
		if t.name == "metric" {
			res.points = p.copied
		}
	}
	if len(wrong) > 0 {
		return nil, fmt.Errorf("the counts do not match (did %s or %s change while the copy was interrupted?):\n  %s",
			c.src.describe(), c.dst.describe(), strings.Join(wrong, "\n  "))
	}
	return res, nil
}

// writeIDMap writes the mapping of every id that changed: by table, each
// row's old id and new. Points are left out (nothing refers to them, and a
// store of 100M points would get a file of gigabytes); a point's new id
// ends in its old id, in hexadecimal.
func (c *copier) writeIDMap(ctx context.Context) (int64, error) {
	f, err := createIDMap(c.idmap)
	if err != nil {
		return 0, err
	}
	for _, t := range copyTables {
		if t.id == "" || t.parents || t.name == "metric" {
			continue
		}
		if !c.state.Convert {
			for old, new := range c.m.merged[t.name] {
				f.add(t.name, old, new)
			}
			continue
		}
		columns := []string{"id"}
		if t.date != "" {
			columns = append(columns, t.date)
		}
		err := c.src.each(ctx, t, columns, func(v []any) error {
			var date any
			if len(v) > 1 {
				date = v[1]
			}
			id, err := c.m.own(t.name, v[0], date)
			if err != nil {
				return fmt.Errorf("%s %s: %w", quoteName(t.name), idText(v[0]), err)
			}
			f.add(t.name, idText(v[0]), idText(id))
			return nil
		})
		if err != nil {
			f.abort()
			return 0, err
		}
	}
	return f.rows, f.commit()
}
