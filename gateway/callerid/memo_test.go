package callerid

import (
	"bytes"
	"fmt"
	"testing"
)

func TestMemoGivesTheKeyItWouldCompute(t *testing.T) {
	kr := New(bytes.Repeat([]byte{7}, 32))
	fresh := func(raw, region string) string { return kr.state.Load().versions[0].key(Normalize(raw, region)) }
	for round := range 2 {
		for _, c := range []struct{ raw, region string }{
			{"+22376000001", "ML"}, {"76 00 00 01", "ML"}, {"76000001", "SN"}, {"+22376000002", "ML"},
		} {
			if got, want := kr.Key(c.raw, c.region), fresh(c.raw, c.region); got != want {
				t.Errorf("round %d: Key(%q, %s) = %s, want %s", round, c.raw, c.region, got, want)
			}
		}
	}
}

func TestMemoForgetsOldestGenerationOnly(t *testing.T) {
	m := newMemo()
	key := func(i int) string { return fmt.Sprintf("k1:%d", i) }
	n := memoGeneration*2 + 10
	for i := range n {
		m.put(m.tag(fmt.Sprint(i), "ML"), key(i))
	}
	if got := len(m.cur) + len(m.prev); got > 2*memoGeneration {
		t.Fatalf("memo holds %d keys, want at most %d", got, 2*memoGeneration)
	}
	if _, ok := m.get(m.tag("0", "ML")); ok {
		t.Error("the oldest number is still remembered")
	}
	for _, i := range []int{n - 1, n - memoGeneration} {
		if k, ok := m.get(m.tag(fmt.Sprint(i), "ML")); !ok || k != key(i) {
			t.Errorf("recent number %d: got %q, %v", i, k, ok)
		}
	}
}

func TestMemoTagIsSecretPerProcess(t *testing.T) {
	a, b := newMemo(), newMemo()
	if a.tag("+22376000001", "ML") == b.tag("+22376000001", "ML") {
		t.Error("two memos tag a number alike: the tag is not keyed by a fresh secret")
	}
	if a.tag("+22376000001", "ML") == a.tag("+22376000001", "SN") {
		t.Error("the region is not part of the tag")
	}
}
