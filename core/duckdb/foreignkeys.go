package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// rebuildOrder lists DearDiary.jl's tables that declare foreign keys, each
// before the tables it references, so each old table can be dropped in turn.
var rebuildOrder = []string{
	"model_version", "iteration_tag", "experiment_tag", "project_tag", "metric", "parameter",
	"resource", "user_permission", "model", "iteration", "experiment",
}

var createTable = regexp.MustCompile(`(?s)CREATE TABLE IF NOT EXISTS ("?\w+"?) \((.*?)\n\);`)

// baselineTables maps each table of the baseline migration, for a file with
// the given kind of ids, to its column definitions.
func baselineTables(integer bool) (map[string]string, error) {
	body, err := migrationFiles.ReadFile("migrations/001_baseline.sql")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range createTable.FindAllStringSubmatch(schemaFor(1, string(body), integer), -1) {
		out[strings.Trim(m[1], `"`)] = m[2]
	}
	return out, nil
}

// dropForeignKeys rebuilds the tables of a file written by DearDiary.jl
// without their FOREIGN KEY declarations (and metric without its primary
// key), keeping every row, column and default. DuckDB cannot delete a parent
// and its children in one transaction while such keys exist, so without this
// no cascade on an upstream file could be atomic. Files this store created
// have no foreign keys, and the migration does nothing to them.
func dropForeignKeys(ctx context.Context, t *sql.Tx, integer bool) error {
	rows, err := t.QueryContext(ctx, `SELECT DISTINCT table_name FROM duckdb_constraints()
		WHERE schema_name = 'main' AND constraint_type = 'FOREIGN KEY'`)
	if err != nil {
		return err
	}
	var withKeys []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		withKeys = append(withKeys, name)
	}
	rows.Close()
	if len(withKeys) == 0 {
		return nil
	}
	for _, name := range withKeys {
		if !slices.Contains(rebuildOrder, name) {
			return fmt.Errorf("table %q declares a foreign key DearDiary does not know", name)
		}
	}
	defs, err := baselineTables(integer)
	if err != nil {
		return err
	}
	var rebuilt []string
	for _, name := range rebuildOrder {
		if !slices.Contains(withKeys, name) && name != "metric" {
			continue
		}
		columns, err := tableColumns(ctx, t, name)
		if err != nil {
			return err
		}
		stmts := []string{
			fmt.Sprintf("CREATE TABLE %s__rebuilt (%s\n)", name, defs[name]),
			fmt.Sprintf("INSERT INTO %[1]s__rebuilt (%[2]s) SELECT %[2]s FROM %[1]s", name, columns),
		}
		for _, stmt := range stmts {
			if _, err := t.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("rebuilding %s: %w", name, err)
			}
		}
		rebuilt = append(rebuilt, name)
	}
	for _, name := range rebuilt {
		if _, err := t.ExecContext(ctx, "DROP TABLE "+name); err != nil {
			return fmt.Errorf("dropping the old %s: %w", name, err)
		}
	}
	for _, name := range rebuilt {
		if _, err := t.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s__rebuilt RENAME TO %s", name, name)); err != nil {
			return err
		}
	}
	return nil
}

// tableColumns returns the quoted column names of a table, in order.
func tableColumns(ctx context.Context, t *sql.Tx, table string) (string, error) {
	rows, err := t.QueryContext(ctx, `SELECT column_name FROM duckdb_columns()
		WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index`, table)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", err
		}
		cols = append(cols, `"`+c+`"`)
	}
	return strings.Join(cols, ", "), rows.Err()
}
