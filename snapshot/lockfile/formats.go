package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"golang.org/x/mod/modfile"
)

// parseGoMod reads the require lines of go.mod, direct and // indirect:
// since Go 1.17 they name the version the build selects of every module
// that provides a package to it, which go.sum (checksums of every version
// the module graph touched) cannot say. replace directives are not applied:
// the required version is what a user compares, and a replacement by a
// local directory has no version at all. Versions are kept as written.
//
// modfile refuses a whole file for one bad line; the lines it names are
// blanked and the rest read again, a few times at most, so a hand-edited or
// truncated go.mod still lists what it can.
func parseGoMod(s []byte) (Versions, bool) {
	asWritten := func(_, version string) (string, error) { return version, nil }
	s = bytes.Clone(s)
	for range 4 {
		f, err := modfile.ParseLax("go.mod", s, asWritten)
		if err == nil {
			c := newCollector()
			for _, r := range f.Require {
				c.add(r.Mod.Path, r.Mod.Version)
			}
			return c.result(), true
		}
		var errs modfile.ErrorList
		if !errors.As(err, &errs) || !blankLines(s, errs) {
			break
		}
	}
	return nil, false
}

// blankLines replaces the lines that errs point at with spaces, keeping the
// other lines where they are, and reports whether it changed anything.
func blankLines(s []byte, errs modfile.ErrorList) bool {
	bad := map[int]bool{}
	for _, e := range errs {
		bad[e.Pos.Line] = true
	}
	changed := false
	line := 1
	for i, c := range s {
		switch {
		case c == '\n':
			line++
		case bad[line] && c != ' ':
			s[i], changed = ' ', true
		}
	}
	return changed
}

// parseNPM reads package-lock.json (and npm-shrinkwrap.json). Versions 2
// and 3 list every installed folder under "packages", keyed by path; only
// the top-level folders, node_modules/<name> and node_modules/@scope/<name>,
// count: they are what the project's own require() finds, while nested
// copies (node_modules/a/node_modules/b) are private to the package above
// them and would turn every deduplication into a change. A workspace
// member's top-level entry is a link to its folder, whose version it takes.
// Version 1 has only the "dependencies" tree, of which the top level is read,
// the same set of packages.
//
// Entries are decoded one by one so that one odd entry does not lose the
// others. A file that is not JSON gives ok=false.
func parseNPM(s []byte) (Versions, bool) {
	c := newCollector()
	var doc struct {
		Packages     map[string]json.RawMessage `json:"packages"`
		Dependencies map[string]json.RawMessage `json:"dependencies"`
	}
	if err := json.Unmarshal(s, &doc); err != nil {
		// A type error (say "packages": []) still fills the fields that
		// fit; a syntax error fills nothing.
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			return nil, false
		}
	}
	if len(doc.Packages) > 0 {
		const dir = "node_modules/"
		for key, raw := range doc.Packages {
			name, ok := strings.CutPrefix(key, dir)
			if !ok || !topLevelPackage(name) {
				continue
			}
			e := npmEntry(raw)
			if e.link {
				e = npmEntry(doc.Packages[e.resolved])
			}
			c.add(name, e.version)
		}
		return c.result(), true
	}
	for name, raw := range doc.Dependencies {
		c.add(name, npmEntry(raw).version)
	}
	return c.result(), true
}

// topLevelPackage reports whether what follows node_modules/ in a key is a
// package name, "name" or "@scope/name", rather than a path into it.
func topLevelPackage(name string) bool {
	scope, rest, scoped := strings.Cut(name, "/")
	if !scoped {
		return name != "" && name[0] != '@'
	}
	return len(scope) > 1 && scope[0] == '@' && rest != "" && !strings.Contains(rest, "/")
}

type npmPackage struct {
	version, resolved string
	link              bool
}

// npmEntry reads an entry's "version", and "resolved" and "link" for a
// workspace link; a field that is missing or of another type reads as
// empty.
func npmEntry(raw json.RawMessage) npmPackage {
	var e struct {
		Version  json.RawMessage `json:"version"`
		Resolved json.RawMessage `json:"resolved"`
		Link     json.RawMessage `json:"link"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &e) != nil {
		return npmPackage{}
	}
	return npmPackage{version: jsonString(e.Version), resolved: jsonString(e.Resolved), link: string(e.Link) == "true"}
}

func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// parseRequirements reads pip requirement files the way pip splits them:
// backslash continuations are joined first (pip-compile puts --hash options
// on continuation lines), then comments, options lines, environment markers
// and per-requirement options are dropped. What is left of a named
// requirement is its name and specifier; lines pip would read as paths or
// URLs name no package and are skipped.
func parseRequirements(s []byte) Versions {
	c := newCollector()
	var joined []byte
	continued := false
	lines(s, func(line []byte) {
		comment := isCommentLine(line)
		if !comment && bytes.HasSuffix(line, []byte{'\\'}) {
			joined = append(joined, bytes.TrimRight(line, `\`)...)
			continued = true
			return
		}
		if !continued {
			addRequirement(c, line)
			return
		}
		if comment { // keeps it a comment once joined, as pip does
			joined = append(joined, ' ')
		}
		addRequirement(c, append(joined, line...))
		joined, continued = joined[:0], false
	})
	if continued {
		addRequirement(c, joined)
	}
	return c.result()
}

func isCommentLine(line []byte) bool {
	line = bytes.TrimLeft(line, " \t")
	return len(line) > 0 && line[0] == '#'
}

func addRequirement(c *collector, line []byte) {
	// A comment starts at a '#' that begins the line or follows a blank;
	// elsewhere '#' belongs to a URL fragment.
	for i, ch := range line {
		if ch == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			line = line[:i]
			break
		}
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '-' || !isAlnum(line[0]) {
		return
	}
	n := 1
	for n < len(line) && (isAlnum(line[n]) || line[n] == '-' || line[n] == '_' || line[n] == '.') {
		n++
	}
	name, rest := line[:n], line[n:]
	if len(rest) > 0 && strings.IndexByte(" \t[(<>=!~@;", rest[0]) < 0 {
		return // "https://...", "./dir", "git+ssh://..."
	}
	if isArchiveName(name) {
		return
	}
	rest = bytes.TrimSpace(rest)
	if len(rest) > 0 && rest[0] == '[' { // extras
		i := bytes.IndexByte(rest, ']')
		if i < 0 {
			return
		}
		rest = bytes.TrimSpace(rest[i+1:])
	}
	c.add(normalizeName(name), specifier(rest))
}

// specifier turns what follows a requirement's name into the version to
// show: the pinned version for a single == or ===, otherwise the specifier
// itself (">=2.1", "@ https://...") so that loosening or tightening a
// constraint shows as a change.
func specifier(rest []byte) string {
	if len(rest) > 0 && rest[0] == '@' {
		url := cutOptions(rest[1:], true)
		if len(url) == 0 {
			return "@"
		}
		return "@ " + string(url)
	}
	rest = cutOptions(rest, false)
	spec := make([]byte, 0, len(rest))
	for _, ch := range rest {
		if !isBlank(ch) {
			spec = append(spec, ch)
		}
	}
	if len(spec) >= 2 && spec[0] == '(' && spec[len(spec)-1] == ')' { // old "name (>=1.0)" form
		spec = spec[1 : len(spec)-1]
	}
	if bytes.IndexByte(spec, ',') < 0 {
		for _, op := range []string{"===", "=="} {
			if v, ok := bytes.CutPrefix(spec, []byte(op)); ok {
				if len(v) > 0 {
					return string(v)
				}
				break
			}
		}
	}
	return string(spec)
}

// cutOptions drops environment markers and per-requirement options (such as
// --hash) from a specifier. In a URL a ';' only starts markers after a blank,
// as PEP 508 has it, since URLs may contain ';'.
func cutOptions(s []byte, url bool) []byte {
	for i, ch := range s {
		blankBefore := i > 0 && isBlank(s[i-1])
		if ch == ';' && (!url || blankBefore) {
			s = s[:i]
			break
		}
		if ch == '-' && blankBefore && i+1 < len(s) && s[i+1] == '-' {
			s = s[:i]
			break
		}
	}
	return bytes.TrimSpace(s)
}

func isArchiveName(name []byte) bool {
	lower := strings.ToLower(string(name))
	for _, ext := range []string{".whl", ".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

func pep503(name string) string { return normalizeName([]byte(name)) }

// normalizeName applies PEP 503 so that "Scikit_Learn" and "scikit-learn",
// which pip treats as one project, compare as one package.
func normalizeName(name []byte) string {
	out := make([]byte, 0, len(name))
	for _, ch := range name {
		switch {
		case ch == '-' || ch == '_' || ch == '.':
			if len(out) == 0 || out[len(out)-1] != '-' {
				out = append(out, '-')
			}
		case 'A' <= ch && ch <= 'Z':
			out = append(out, ch+'a'-'A')
		default:
			out = append(out, ch)
		}
	}
	return string(out)
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }
