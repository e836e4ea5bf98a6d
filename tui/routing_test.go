package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A slow server answers for a screen the user has left only after they
// opened the next one. The late answer must not land there, whether it
// comes as the cancellation's error or, already on its way, as data.
func TestLateResultsNeverLandOnTheWrongScreen(t *testing.T) {
	t.Parallel()
	for _, answered := range []bool{false, true} {
		t.Run(map[bool]string{false: "cancelled", true: "answered anyway"}[answered], func(t *testing.T) {
			t.Parallel()

			t.Run("restore dialog", func(t *testing.T) {
				t.Parallel()
				s := newSample()
				s.AnswerCancelled = answered
				d := newDriver(t, s, 120, 40)
				d.selectRow("vision")
				d.keys("enter")
				d.selectRow("augmentation ablation")
				d.keys("enter")
				gate := s.Hold("GetSnapshot")
				d.selectRow("#1 ")
				d.keys("R", "esc")
				d.selectRow("#3 ")
				d.keys("R")
				held := gate.Held()
				if len(held) != 2 || held[0].Arg != s.augment[0].ID || held[1].Arg != s.augment[2].ID {
					t.Fatalf("held calls %+v", held)
				}
				if !errors.Is(held[0].Ctx.Err(), context.Canceled) || held[1].Ctx.Err() != nil {
					t.Fatalf("leaving #1's dialog did not cancel its load alone: %v, %v", held[0].Ctx.Err(), held[1].Ctx.Err())
				}
				gate.Release()
				d.settle()
				d.expect("Restore the environment of run #3", "commit "+commit(2)[:8])
				d.lacks(commit(0)[:8], "canceled")
			})

			t.Run("experiments", func(t *testing.T) {
				t.Parallel()
				s := newSample()
				s.AnswerCancelled = answered
				d := newDriver(t, s, 120, 40)
				gate := s.Hold("ListExperiments")
				d.selectRow("vision")
				d.keys("enter", "esc")
				d.selectRow("nlp")
				d.keys("enter")
				if held := gate.Held(); len(held) != 2 || held[0].Ctx.Err() == nil {
					t.Fatalf("held calls %+v", held)
				}
				gate.Release()
				d.settle()
				d.expect("Projects › nlp", "1 experiment in nlp", "tokenizer sweep")
				d.lacks("resnet18", "canceled")
			})
		})
	}
}

// A screen under the top keeps receiving its own results: the detail's
// chart arrives while a file is open over it.
func TestResultsReachAScreenUnderTheTop(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := newDriver(t, s, 120, 40)
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("augmentation ablation")
	d.keys("enter")
	gate := s.Hold("MetricHistory")
	d.keys("enter", "6", "enter")
	d.expect("pyproject.toml", "lines 1-")
	gate.Release()
	d.settle()
	d.keys("esc", "3")
	if !strings.ContainsAny(d.screen(), "⠁⠂⠄⡀⢀⠈⠐⠠⣀⣤") {
		t.Fatalf("the detail's history went astray:\n%s", d.screen())
	}
}

// Quitting ends the loads still running.
func TestQuitCancelsLoads(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := newDriver(t, s, 120, 40)
	gate := s.Hold("ListExperiments")
	d.keys("enter")
	d.keys("q")
	if held := gate.Held(); len(held) != 1 || held[0].Ctx.Err() == nil || !d.quit {
		t.Fatalf("after q: quit %v, held %+v", d.quit, held)
	}
	gate.Release()
	d.settle()
}
