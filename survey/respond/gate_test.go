package respond

import (
	"context"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
)

func TestGate(t *testing.T) {
	g := NewGate(2, 20*time.Millisecond)
	ctx := context.Background()
	leave1, err := g.Enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leave2, err := g.Enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrBusy", func(t *testing.T) {
		if _, err := g.Enter(ctx); survey.ErrorCode(err) != survey.EBUSY {
			t.Errorf("a third at once: got %v, want EBUSY", err)
		}
	})
	t.Run("ErrBusyCancelled", func(t *testing.T) {
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := NewGate(1, time.Hour).Enter(cancelled); err != nil {
			t.Errorf("a free slot is taken even by a cancelled request: %v", err)
		}
		if _, err := g.Enter(cancelled); survey.ErrorCode(err) != survey.EBUSY {
			t.Errorf("a full gate and a cancelled request: got %v, want EBUSY", err)
		}
	})
	t.Run("OKAfterLeave", func(t *testing.T) {
		go func() { time.Sleep(5 * time.Millisecond); leave1() }()
		leave3, err := g.Enter(ctx)
		if err != nil {
			t.Fatalf("a slot freed within the wait is taken: %v", err)
		}
		leave3()
	})
	leave2()
	var nilGate *Gate
	if leave, err := nilGate.Enter(ctx); err != nil {
		t.Errorf("a nil gate refuses: %v", err)
	} else {
		leave()
	}
}
