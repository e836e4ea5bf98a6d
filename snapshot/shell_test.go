package snapshot

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// shellSees is what a POSIX shell reads line as: its words, one per line.
func shellSees(t *testing.T, line string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `printf '[%s]\n' `+line).Output()
	if err != nil {
		t.Fatalf("sh on %q: %v", line, err)
	}
	var words []string
	for w := range strings.SplitSeq(strings.TrimSuffix(string(out), "\n"), "\n") {
		words = append(words, strings.TrimSuffix(strings.TrimPrefix(w, "["), "]"))
	}
	return words
}

func texts(words []shellWord) []string {
	var out []string
	for _, w := range words {
		out = append(out, w.text)
	}
	return out
}

// FuzzSplitPlain: a line splitPlain takes is read by a shell as the same
// words, and commandLine writes words back into a line that reads the same.
func FuzzSplitPlain(f *testing.F) {
	for _, seed := range []string{
		"python train.py --lr 0.1", `python 'my file.py' "it's" a\ b`, "CUDA_VISIBLE_DEVICES=0 A= python x=1", `'A=1' python`,
		`"A"=1 python`, `python "a\"b\\c\$d"`, "julia --project=. train.jl", "python train.py; touch x", `python "$(id)"`,
		"python `id`", "python > x", "python *.py", "python ~/x.py", "python #x", "x\ny", "a\tb", "ünïcode.py é", `a'b'"c"d`,
		"", "   ", `\`, `'`, `"`, "a\u202eb", "sh -c 'julia --project run.jl'",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, ok := splitPlain(line)
		if !ok {
			return
		}
		if got := shellSees(t, line); !reflect.DeepEqual(got, texts(words)) {
			t.Fatalf("splitPlain(%q) = %q; a shell reads %q", line, texts(words), got)
		}
		again := commandLine(words)
		back, ok := splitPlain(again)
		if !ok || !reflect.DeepEqual(back, words) {
			t.Fatalf("commandLine(%+v) = %q, which reads back as %+v, %v", words, again, back, ok)
		}
		if got := shellSees(t, again); !reflect.DeepEqual(got, texts(words)) {
			t.Fatalf("commandLine(%+v) = %q; a shell reads %q", words, again, got)
		}
	})
}

func TestSplitPlainKeepsAssignments(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"CUDA_VISIBLE_DEVICES=0 python train.py": "CUDA_VISIBLE_DEVICES=0 python train.py",
		"A='x y' B= python a=b":                  "A='x y' B='' python a=b",
		"'A=1' python":                           "'A=1' python",
		`"A"=1 python`:                           "'A=1' python",
		"python --lr=0.1 'it'\\''s'":             `python --lr=0.1 'it'\''s'`,
	} {
		words, ok := splitPlain(line)
		if !ok || commandLine(words) != want {
			t.Errorf("%q: %q, %v; want %q", line, commandLine(words), ok, want)
		}
	}
}
