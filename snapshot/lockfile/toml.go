package lockfile

import (
	"github.com/pelletier/go-toml/v2/unstable"
)

// The TOML lock files are read with go-toml's parser, statement by
// statement, rather than decoded into structs: go-toml's Unmarshal takes time
// quadratic in the number of [[deps.Name]] arrays (0.5 s for a manifest of
// 8,000 packages, 24 s for 45,000) and BurntSushi/toml refuses a whole file
// for one bad line, while the parser reads 2 to 4 ms per MB and hands over
// every statement before the first it cannot read. That is how damaged files
// stay readable: what precedes the damage is kept.

// parseJuliaManifest reads both manifest formats at once: format 2 keeps
// packages in [[deps.Name]] tables, format 1 in top-level [[Name]] tables, and
// neither writes the other's shape, so no format sniffing is needed. The name
// comes from the header; sub-tables such as [deps.Name.extensions] end the
// entry so their keys are not mistaken for the package's.
func parseJuliaManifest(s []byte) (Versions, bool) {
	return readTables(s, asWritten, func(header []string) (string, bool) {
		switch {
		case len(header) == 2 && header[0] == "deps":
			return header[1], false
		case len(header) == 1:
			return header[0], false
		}
		return "", false
	})
}

// parsePackageTables reads the [[package]] tables that Cargo.lock, uv.lock
// and poetry.lock share, each naming itself with a name key, which normalize
// turns into the name users compare. Only keys directly in the table count:
// sub-tables ([package.extras], [[package.wheels]]) and values nested in
// arrays or inline tables (uv's dependencies = [{ name = ... }]) name other
// packages, not this one.
func parsePackageTables(normalize func(string) string) func([]byte) (Versions, bool) {
	return func(s []byte) (Versions, bool) {
		return readTables(s, normalize, func(header []string) (string, bool) {
			return "", len(header) == 1 && header[0] == "package"
		})
	}
}

func asWritten(name string) string { return name }

// readTables collects a name and version from each array-of-tables entry
// that entry accepts: it returns the package's name when the header gives
// it, or named when the table holds it in a name key. A version is the
// table's own version key, when it is a string.
//
// ok is false only when the file is damaged before any package could be
// read; the caller then compares the files as text.
func readTables(s []byte, normalize func(string) string, entry func(header []string) (name string, named bool)) (v Versions, ok bool) {
	c := newCollector()
	var (
		active, named bool
		name, version string
	)
	flush := func() {
		if active && name != "" {
			c.add(normalize(name), version)
		}
		active, named, name, version = false, false, "", ""
	}
	var p unstable.Parser
	p.Reset(s)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			flush()
			if e.Kind == unstable.ArrayTable {
				name, named = entry(keyParts(e.Key()))
				active = name != "" || named
			}
		case unstable.KeyValue:
			if !active {
				continue
			}
			key := e.Key()
			key.Next()
			k := string(key.Node().Data)
			value := e.Value()
			if key.IsLast() && value.Kind == unstable.String {
				switch {
				case k == "version":
					version = string(value.Data)
				case k == "name" && named:
					name = string(value.Data)
				}
			}
		}
	}
	// The entry cut short by damage still counts if its name was read.
	flush()
	v = c.result()
	return v, p.Error() == nil || len(v) > 0
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}
