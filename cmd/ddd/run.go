package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/deardiary/deardiary-go/cmd/internal/connect"
	"github.com/deardiary/deardiary-go/cmd/internal/termtext"
	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/snapshot"
)

// Exit statuses of `ddd run` itself, as docker run has them: the command's
// own status otherwise.
const (
	ExitRunError    = 125 // ddd run failed before the command could start
	ExitNotRunnable = 126 // the command exists but cannot be executed
	ExitNotFound    = 127 // the command was not found
)

// RunCommand is `ddd run`: it tracks one execution of any command as an
// iteration, capturing the environment first and recording how it ended.
type RunCommand struct {
	Conn connect.Flags
	// StoreOptions are given to a database file opened in-process (tests
	// lower the bcrypt cost).
	StoreOptions []duckdb.Option
	Project      string
	Experiment   string
	Parent       string
	Params       []core.ParamInput
	Tags         []string
	// Snapshot forces capture on or off; by default driver iterations are
	// captured and children are not, as core.WithIteration does.
	Snapshot *bool
	Dir      string        // working directory of the command; the current one if empty
	Grace    time.Duration // between forwarding SIGINT or SIGTERM and SIGKILL
	EndRetry time.Duration // how long to keep trying to record the end
	Command  []string

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Signals delivers SIGINT and SIGTERM sent to ddd run.
	Signals <-chan os.Signal

	parentFromEnv bool
}

// ParseRunFlags reads `ddd run`'s arguments: flags, then "--", then the
// command.
func ParseRunFlags(args []string, getenv func(string) string, usage io.Writer) (*RunCommand, error) {
	r := &RunCommand{Grace: 10 * time.Second, EndRetry: 2 * time.Minute}
	fs := flag.NewFlagSet("ddd run", flag.ContinueOnError)
	fs.SetOutput(termtext.NewWriter(usage))
	r.Conn.Register(fs, getenv)
	fs.StringVar(&r.Project, "project", "", "project name, created if new (required)")
	fs.StringVar(&r.Experiment, "experiment", "", "experiment name, created if new (required)")
	fs.StringVar(&r.Parent, "parent", "", "make the iteration a child of this one (DEARDIARY_PARENT_ITERATION_ID)")
	fs.Func("param", "a parameter key=value (repeat for more)", func(v string) error {
		key, value, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(key) == "" {
			return fmt.Errorf("a parameter is key=value, not %q", v)
		}
		r.Params = append(r.Params, core.ParamInput{Key: strings.TrimSpace(key), Value: value})
		return nil
	})
	fs.Func("tag", "a tag for the iteration (repeat for more)", func(v string) error {
		r.Tags = append(r.Tags, v)
		return nil
	})
	noSnapshot := fs.Bool("no-snapshot", false, "do not capture the environment")
	withSnapshot := fs.Bool("snapshot", false, "capture the environment of a child iteration too")
	fs.StringVar(&r.Dir, "dir", "", "run the command in this directory, and capture it (default: the current one)")
	fs.DurationVar(&r.Grace, "grace", r.Grace, "how long the command may take to stop after SIGINT or SIGTERM before it is killed")
	fs.DurationVar(&r.EndRetry, "end-retry", r.EndRetry, "how long to keep trying to record the end when the daemon is away")
	fs.Usage = func() {
		fmt.Fprint(usage, "ddd run: track one run of any command as an iteration\n\n"+
			"Usage: ddd run [--server URL | --db FILE] --project NAME --experiment NAME [flags] -- COMMAND [ARGS...]\n\n"+
			"The command gets these variables, to log to its iteration over the REST API:\n"+
			"  DEARDIARY_URL                  the daemon's address (with --db, one ddd run serves for the command)\n"+
			"  DEARDIARY_TOKEN                a bearer token for it, when it needs one\n"+
			"  DEARDIARY_ITERATION_ID         the iteration of this run\n"+
			"  DEARDIARY_EXPERIMENT_ID        its experiment\n"+
			"  DEARDIARY_PROJECT_ID           its project\n"+
			"  DEARDIARY_PARENT_ITERATION_ID  the iteration again: a ddd run inside the command makes a child of it\n\n"+
			"ddd run exits with the command's status; 125 when it fails itself.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errors.New(termtext.Text(err.Error()))
	}
	r.Command = fs.Args()
	switch {
	case len(r.Command) == 0:
		return nil, core.Invalid("name the command to run after --, e.g. ddd run --project p --experiment e -- python train.py")
	case r.Project == "" || r.Experiment == "":
		return nil, core.Invalid("name the project and experiment: --project NAME --experiment NAME")
	case *noSnapshot && *withSnapshot:
		return nil, core.Invalid("give --snapshot or --no-snapshot, not both")
	case *noSnapshot:
		r.Snapshot = new(false)
	case *withSnapshot:
		r.Snapshot = new(true)
	}
	if r.Parent == "" {
		r.Parent, r.parentFromEnv = getenv("DEARDIARY_PARENT_ITERATION_ID"), true
	}
	return r, nil
}

// Run tracks the command and returns the exit status for ddd run: the
// command's, or one of the Exit constants.
func (r *RunCommand) Run(ctx context.Context) int {
	code, err := r.run(ctx)
	if err != nil {
		r.say("ddd run: %s", core.ErrorMessageOrText(err))
	}
	return code
}

// say prints a line of ddd run's own to stderr, which the command shares.
// Names, ids and messages come from the command line, the daemon and the
// command: control characters and escape sequences are taken out.
func (r *RunCommand) say(format string, args ...any) {
	fmt.Fprintln(r.Stderr, termtext.Text(fmt.Sprintf(format, args...)))
}

func (r *RunCommand) run(ctx context.Context) (int, error) {
	dir := r.Dir
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return ExitRunError, err
		}
	}
	t, err := r.Conn.Open(ctx, connect.Options{StoreOptions: r.StoreOptions})
	if err != nil {
		return ExitRunError, err
	}
	defer t.Close()
	var url, token string
	if t.Client != nil {
		url, token = t.Client.URL(), t.Client.Token()
	} else {
		// Only this process may open the file: the command reaches it
		// through ddd run.
		local, err := daemon.ServeLoopback(ctx, t)
		if err != nil {
			return ExitRunError, err
		}
		defer local.Close()
		url, token = local.URL, local.Token
	}

	projectID, err := findOrCreate(ctx, "project", func() (string, error) {
		ps, err := t.ListProjects(ctx, core.ProjectFilter{Name: r.Project})
		if len(ps) == 0 || err != nil {
			return "", err
		}
		return ps[0].ID, nil
	}, func() (string, error) { return t.CreateProject(ctx, core.ProjectCreate{Name: r.Project}) })
	if err != nil {
		return ExitRunError, r.explain(ctx, t, fmt.Errorf("project %q: %w", r.Project, err), "create", "")
	}
	experimentID, err := findOrCreate(ctx, "experiment", func() (string, error) {
		es, _, err := t.ListExperiments(ctx, core.ExperimentFilter{ProjectID: projectID, Name: r.Experiment})
		if len(es) == 0 || err != nil {
			return "", err
		}
		return es[0].ID, nil
	}, func() (string, error) {
		return t.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: projectID, Name: r.Experiment, Status: core.ExperimentInProgress})
	})
	if err != nil {
		return ExitRunError, r.explain(ctx, t, fmt.Errorf("experiment %q: %w", r.Experiment, err), "create", fmt.Sprintf("to create experiment %q in it", r.Experiment))
	}
	if err := r.checkParent(ctx, t, experimentID); err != nil {
		return ExitRunError, r.explain(ctx, t, err, "read", fmt.Sprintf("to read the parent iteration %s", r.Parent))
	}

	capture := &noisyCapturer{files: -1, inner: snapshot.Capturer{Dir: dir, Options: snapshot.CommandOptions(r.Command)}}
	opts := []core.IterationOption{core.WithCapturer(capture), core.WithEndRetry(r.EndRetry)}
	if r.Parent != "" {
		opts = append(opts, core.WithParent(r.Parent))
	}
	if r.Snapshot != nil {
		opts = append(opts, core.WithSnapshot(*r.Snapshot))
	}
	code, iterationID := ExitRunError, ""
	var fnErr error
	runErr := core.WithIteration(ctx, t, experimentID, func(ctx context.Context, it *core.Iteration) error {
		iterationID = it.ID
		r.announce(it, capture)
		if len(r.Params) > 0 || len(r.Tags) > 0 {
			if _, err := t.LogBatch(ctx, it.ID, core.Batch{Params: r.Params, Tags: r.Tags}); err != nil {
				err = r.explain(ctx, t, err, "create", "to log parameters and tags")
				fnErr = fmt.Errorf("could not log the parameters and tags, so the command did not run: %s", core.ErrorMessageOrText(err))
				return fnErr
			}
		}
		env := []string{"DEARDIARY_URL=" + url, "DEARDIARY_ITERATION_ID=" + it.ID, "DEARDIARY_EXPERIMENT_ID=" + experimentID,
			"DEARDIARY_PROJECT_ID=" + projectID, "DEARDIARY_PARENT_ITERATION_ID=" + it.ID}
		if token != "" {
			env = append(env, "DEARDIARY_TOKEN="+token)
		}
		code, fnErr = r.execute(dir, env)
		return fnErr
	}, opts...)
	if iterationID == "" { // the iteration could not be created; nothing ran
		return ExitRunError, r.explain(ctx, t, runErr, "create", fmt.Sprintf("to create the run's iteration in experiment %q", r.Experiment))
	}

	// Say how it ended, as recorded (the command may have ended the
	// iteration itself), and why, unless the command's stderr said so.
	var (
		status    = core.IterationSucceeded
		interrupt *interrupted
		ended     *endError
	)
	switch {
	case errors.As(fnErr, &interrupt):
		status = core.IterationKilled
	case fnErr != nil:
		status = core.IterationFailed
	}
	if it, err := t.GetIteration(context.WithoutCancel(ctx), iterationID); err == nil && it.Status != core.IterationRunning {
		status = it.Status
	}
	line := fmt.Sprintf("ddd run: iteration %s %s", iterationID, status)
	switch {
	case errors.As(fnErr, &ended):
		line += " (" + strings.SplitN(ended.message, "\n", 2)[0] + ")"
	case fnErr != nil:
		line += ": " + fnErr.Error()
	}
	r.say("%s", line)
	if runErr != fnErr { // WithIteration joined the failure to record the end
		recordErr := runErr
		if joined, ok := runErr.(interface{ Unwrap() []error }); ok {
			errs := joined.Unwrap()
			recordErr = errs[len(errs)-1]
		}
		return code, errors.New(core.ErrorMessageOrText(recordErr))
	}
	return code, nil
}

// explain turns the daemon's refusal of what ddd run was doing into what to
// change: the credentials to pass, or which permission on which project is
// missing (needed to do what doing says). Other errors are returned as
// they are.
func (r *RunCommand) explain(ctx context.Context, t *connect.Conn, err error, permission, doing string) error {
	switch core.ErrorCode(err) {
	case core.ETokenMissing:
		return core.Errorf(core.ETokenMissing, "%s requires signing in: pass --user NAME and --password PASSWORD, or --token TOKEN "+
			"(or set DEARDIARY_USER and DEARDIARY_PASSWORD, or DEARDIARY_TOKEN)", t.Source)
	case core.EAdminRequired: // creating the project, which its list did not show
		who := r.who(ctx, t)
		return core.Errorf(core.EAdminRequired, "%s sees no project %q, and only an admin may create one. If it exists, %s needs "+
			"the read and create permissions on it: ask an admin to grant them, or to create the project", who, r.Project, who)
	case core.EPermissionRequired:
		return core.Errorf(core.EPermissionRequired, "%s lacks the %s permission on project %q, needed %s; ask an admin to grant it",
			r.who(ctx, t), permission, r.Project, doing)
	}
	return err
}

// who names the signed-in user, for messages about permissions.
func (r *RunCommand) who(ctx context.Context, t *connect.Conn) string {
	if t.Client != nil {
		if u, err := t.Client.Me(ctx); err == nil {
			return "user " + strconv.Quote(u.Username)
		}
	}
	return "you"
}

// findOrCreate looks an entity up by name and creates it when missing; a
// concurrent ddd run creating the same name first is not an error.
func findOrCreate(ctx context.Context, what string, find, create func() (string, error)) (string, error) {
	if id, err := find(); id != "" || err != nil {
		return id, err
	}
	id, err := create()
	if core.ErrorCode(err) == core.EConflict {
		if id, ferr := find(); id != "" || ferr != nil {
			return id, ferr
		}
	}
	return id, err
}

// checkParent makes sure the parent exists and belongs to the experiment. A
// parent inherited from an enclosing ddd run (DEARDIARY_PARENT_ITERATION_ID)
// of another experiment is dropped: the nested run is a driver of its own.
func (r *RunCommand) checkParent(ctx context.Context, t core.Tracker, experimentID string) error {
	if r.Parent == "" {
		return nil
	}
	parent, err := t.GetIteration(ctx, r.Parent)
	switch {
	case r.parentFromEnv && (core.IsNotFound(err) || err == nil && parent.ExperimentID != experimentID):
		r.Parent = ""
		return nil
	case core.IsNotFound(err):
		return core.Errorf(core.ENotFound, "there is no iteration %q to be the parent", r.Parent)
	case err != nil:
		return err
	case parent.ExperimentID != experimentID:
		return core.Invalid("iteration %s belongs to another experiment than %q; a child must share its parent's experiment", r.Parent, r.Experiment)
	}
	return nil
}

func (r *RunCommand) announce(it *core.Iteration, capture *noisyCapturer) {
	kind := "driver"
	if it.ParentID != "" {
		kind = "child of " + it.ParentID
	}
	env := "no snapshot"
	switch {
	case capture.err != nil:
		env = "snapshot failed: " + core.ErrorMessageOrText(capture.err)
	case capture.files >= 0:
		env = fmt.Sprintf("snapshot of %d files", capture.files)
	}
	r.say("ddd run: %s / %s: iteration %s (%s, %s)", termtext.Line(r.Project), termtext.Line(r.Experiment), it.ID, kind, termtext.Line(env))
}

// noisyCapturer remembers what the capture did, which WithIteration
// otherwise keeps to itself, so ddd run can say so.
type noisyCapturer struct {
	inner snapshot.Capturer
	files int // -1 until a capture ran
	err   error
}

func (c *noisyCapturer) CaptureIteration(ctx context.Context, t core.Tracker, iterationID string) error {
	dir := c.inner.Dir
	snap := snapshot.Capture(ctx, dir, c.inner.Options)
	snap.IterationID = iterationID
	c.files, c.err = len(snap.Files), t.SaveSnapshot(ctx, iterationID, snap)
	return c.err
}

// endError is how a command that ran ended other than with status 0.
type endError struct{ message string }

func (e *endError) Error() string { return e.message }

// interrupted is a command stopped by a signal to ddd run; it is a context
// cancellation, so WithIteration records the iteration as KILLED.
type interrupted struct {
	sig     os.Signal
	outcome string
}

func (e *interrupted) Error() string { return "interrupted by " + signalName(e.sig) + "; " + e.outcome }
func (e *interrupted) Is(target error) bool {
	return target == context.Canceled
}

// stderrTail is how much of the command's stderr the error message keeps.
const (
	stderrTailLines = 20
	stderrTailBytes = 4096
)

// execute runs the command with the tracking variables added to its
// environment, forwarding SIGINT and SIGTERM, and returns ddd run's exit
// status and the error that ends the iteration (nil when it exited 0
// undisturbed).
func (r *RunCommand) execute(dir string, env []string) (int, error) {
	select {
	case sig := <-r.Signals:
		return 128 + signalNumber(sig), &interrupted{sig, "the command did not start"}
	default:
	}
	tail := &tailBuffer{max: stderrTailBytes}
	cmd := exec.Command(r.Command[0], r.Command[1:]...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r.Stdin, r.Stdout, io.MultiWriter(r.Stderr, tail)
	if err := cmd.Start(); err != nil {
		code := ExitNotRunnable
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code = ExitNotFound
		}
		return code, fmt.Errorf("cannot run %s: %w", r.Command[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var (
		caught  os.Signal
		killing <-chan time.Time
	)
	for {
		select {
		case sig := <-r.Signals:
			if caught != nil { // a second signal: no more waiting
				cmd.Process.Kill()
				continue
			}
			caught = sig
			if !deliveredByTerminal(sig) {
				cmd.Process.Signal(sig)
			}
			killing = time.After(r.Grace)
			r.say("ddd run: %s: stopping the command (killed in %s if it does not stop)", signalName(sig), r.Grace)
		case <-killing:
			cmd.Process.Kill()
		case <-done:
			code, outcome := exitStatus(cmd.ProcessState)
			switch {
			case caught != nil:
				return code, &interrupted{caught, outcome}
			case code != 0:
				msg := outcome
				if lines := tail.lines(stderrTailLines); lines != "" {
					msg += "\n\nlast lines of stderr:\n" + lines
				}
				return code, &endError{msg}
			}
			return 0, nil
		}
	}
}

// exitStatus gives ddd run's exit status for the command's end, as a shell
// would (128+n for a signal), and how to describe it.
func exitStatus(ps *os.ProcessState) (int, string) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), "the command was terminated by " + signalName(ws.Signal())
	}
	return ps.ExitCode(), fmt.Sprintf("the command exited with status %d", ps.ExitCode())
}

// deliveredByTerminal reports a SIGINT that the terminal sent to the whole
// foreground process group (Ctrl-C): the command got it already, and a
// second one would cut its clean-up short.
func deliveredByTerminal(sig os.Signal) bool {
	if sig != os.Interrupt {
		return false
	}
	fg, err := unix.IoctlGetInt(int(os.Stdin.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}

func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 0
}

func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return name
		}
	}
	return sig.String()
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// lines returns at most n whole last lines, as valid UTF-8.
func (b *tailBuffer) lines(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	text := strings.TrimRight(strings.ToValidUTF8(string(b.buf), "\uFFFD"), "\n")
	all := strings.Split(text, "\n")
	if len(b.buf) == b.max && len(all) > 1 {
		all = all[1:] // the first line was cut
	}
	return strings.Join(all[max(0, len(all)-n):], "\n")
}
