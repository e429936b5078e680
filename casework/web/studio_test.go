package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus/overlay"
)

// studioEnv is newEnv with the language studio over a fresh data
// directory, a translator (tina) and an admin (root).
func studioEnv(t *testing.T) (*env, *overlay.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := overlay.Open(overlay.Options{DataDir: dir, Base: locales.FS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnv(t, func(o *web.Options) { o.Studio = st })
	e.addUser(t, "tina", casework.RoleTranslator, "")
	e.addUser(t, "root", casework.RoleAdmin, "")
	return e, st, dir
}

// spoken makes a real recording of words: espeak-ng's voice, resampled
// by sox to 11025 Hz (the web view here shares the callbacks' listener
// and its 64 KB body limit). Under CI=true missing tools fail.
func spoken(t testing.TB, words string) []byte {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed: required under CI", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	raw, out := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "phone.wav")
	if b, err := exec.Command("espeak-ng", "-v", "fr", "-w", raw, words).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, b)
	}
	if b, err := exec.Command("sox", raw, "-r", "11025", "-c", "1", out).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (c *client) upload(path string, fields url.Values, file []byte) (*http.Response, string) {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields.Set("_csrf", c.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "prompt.wav")
	_, _ = fw.Write(file)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestStudioRoles(t *testing.T) {
	e, _, _ := studioEnv(t)
	for _, who := range []string{"awa", "vera", "fanta"} {
		if resp, _ := e.login(t, who).get("/meal/studio"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s on the studio: %d, want 403", who, resp.StatusCode)
		}
	}
	for _, who := range []string{"tina", "root"} {
		resp, page := e.login(t, who).get("/meal/studio")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-lang="bm"`) {
			t.Errorf("%s on the studio: %d\n%s", who, resp.StatusCode, page)
		}
	}
	if _, page := e.login(t, "tina").get("/meal/queue"); !strings.Contains(page, "403") && !strings.Contains(page, "Accès refusé") && !strings.Contains(page, "Forbidden") {
		t.Errorf("a translator sees the queue:\n%s", page)
	}
}

func TestStudioEditReviewRevert(t *testing.T) {
	e, st, _ := studioEnv(t)
	c := e.login(t, "tina")
	edit := "/meal/studio/edit?lang=bm&key=home.prompt"
	resp, page := c.get(edit)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Que voulez-vous faire") || !strings.Contains(page, `id="screen"`) {
		t.Fatalf("edit page %d:\n%s", resp.StatusCode, page)
	}
	form := url.Values{"lang": {"bm"}, "key": {"home.prompt"}}

	// Too long for one USSD screen: refused, with the linter's reason, and
	// the typed text kept in the form.
	long := strings.Repeat("Ɲɛ ", 70)
	form.Set("text", long)
	resp, page = c.post("/meal/studio/edit", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "USSD max 182") || !strings.Contains(page, strings.TrimSpace(long)) {
		t.Fatalf("a too long text: %d\n%s", resp.StatusCode, page)
	}
	if got := st.Catalog().Text("bm", "home.prompt"); got == strings.TrimSpace(long) {
		t.Fatal("the refused text reached callers")
	}

	// One that fits: saved, live, shown.
	form.Set("text", "I bɛ mun fɛ?")
	resp, _ = c.post("/meal/studio/edit", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if got := st.Catalog().Text("bm", "home.prompt"); got != "I bɛ mun fɛ?" {
		t.Fatalf("callers get %q", got)
	}
	_, page = c.get(edit)
	if !strings.Contains(page, "brouillon") || !strings.Contains(page, "tina") {
		t.Fatalf("after save:\n%s", page)
	}

	// Mark reviewed (audited: who).
	resp, _ = c.post("/meal/studio/edit", url.Values{"lang": {"bm"}, "key": {"home.prompt"}, "action": {"review"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("review: %d", resp.StatusCode)
	}
	h, _ := st.History("bm", "home.prompt")
	if len(h) != 2 || h[0].Action != overlay.ActionReview || h[0].By != "tina" || !h[0].New.Reviewed {
		t.Fatalf("history %+v", h)
	}

	// Revert the edit: the shipped text is back.
	resp, _ = c.post("/meal/studio/revert", url.Values{"id": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revert: %d", resp.StatusCode)
	}
	if got := st.Catalog().Text("bm", "home.prompt"); got != st.Shipped().Text("bm", "home.prompt") {
		t.Fatalf("after revert callers get %q", got)
	}
	// A forged post without the token changes nothing.
	resp, _ = c.post("/meal/studio/edit", url.Values{"_csrf": {""}, "lang": {"bm"}, "key": {"home.prompt"}, "text": {"forged"}})
	if resp.StatusCode != http.StatusForbidden || st.Catalog().Text("bm", "home.prompt") == "forged" {
		t.Fatalf("post without CSRF: %d", resp.StatusCode)
	}
}

func TestStudioUploadRecording(t *testing.T) {
	e, st, dir := studioEnv(t)
	c := e.login(t, "tina")
	c.get("/meal/studio/edit?lang=bm&key=voice.goodbye")
	rec := spoken(t, "I ni ce, an bɛ")
	resp, page := c.upload("/meal/studio/recording", url.Values{"lang": {"bm"}, "key": {"voice.goodbye"}}, rec)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, page)
	}
	b, err := os.ReadFile(filepath.Join(dir, "audio", "bm", "voice.goodbye.wav"))
	if err != nil || len(b) < 44 || !bytes.HasPrefix(b, []byte("RIFF")) {
		t.Fatalf("stored prompt: %d bytes, %v", len(b), err)
	}
	// 8 kHz mono 16-bit: the fmt chunk of the converted WAV.
	if rate, ch, bits := le32(b[24:]), le16(b[22:]), le16(b[34:]); rate != 8000 || ch != 1 || bits != 16 {
		t.Errorf("stored prompt is %d Hz, %d channels, %d bits", rate, ch, bits)
	}
	_, page = c.get("/meal/studio/edit?lang=bm&key=voice.goodbye")
	if !strings.Contains(page, "enregistré ici") || !strings.Contains(page, `/meal/studio/audio?lang=bm&amp;key=voice.goodbye`) {
		t.Fatalf("edit page after upload:\n%s", page)
	}
	if resp, _ := c.get("/meal/studio/audio?lang=bm&key=voice.goodbye"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("studio audio: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Not audio at all: a clear refusal, nothing stored.
	resp, page = c.upload("/meal/studio/recording", url.Values{"lang": {"bm"}, "key": {"voice.thanks"}}, []byte("this is not a recording"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Enregistrement refusé") {
		t.Fatalf("junk upload: %d\n%s", resp.StatusCode, page)
	}
	if _, err := os.Stat(filepath.Join(dir, "audio", "bm", "voice.thanks.wav")); err == nil {
		t.Fatal("junk stored")
	}
	// Review it; the coverage counts it.
	c.get("/meal/studio/edit?lang=bm&key=voice.goodbye")
	if resp, _ := c.post("/meal/studio/recording/review", url.Values{"lang": {"bm"}, "key": {"voice.goodbye"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("review recording: %d", resp.StatusCode)
	}
	cov, err := st.Coverage()
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range cov {
		if cv.Lang == "bm" && (cv.Recorded != 1 || cv.RecordedReviewed != 1 || cv.French != cv.Prompts-1 || cv.MinimumDone != 1) {
			t.Errorf("bm coverage %+v", cv)
		}
	}
	_, page = c.get("/meal/studio")
	if !strings.Contains(page, `<td class="recorded">1 / `) {
		t.Errorf("coverage page:\n%s", page)
	}
}

func le16(b []byte) int { return int(b[0]) | int(b[1])<<8 }
func le32(b []byte) int { return le16(b) | le16(b[2:])<<16 }

// An answer template corrected in the studio is what the next officer
// starts from, without a restart.
func TestStudioAnswerTemplateIsLive(t *testing.T) {
	e, _, _ := studioEnv(t)
	r := e.submit(t, "k1:caller", "exclusion", "ML05", "ML0501", "")
	awa := casework.Actor{ID: "awa", Team: "meal-mopti"}
	if _, err := e.svc.Assign(context.Background(), awa, r.Case.ID, "awa"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Start(context.Background(), awa, r.Case.ID); err != nil {
		t.Fatal(err)
	}
	tr := e.login(t, "tina")
	tr.get("/meal/studio/edit?lang=fr&key=answer.thanks")
	text := "Merci, {reference} est bien arrivé chez l'équipe du programme."
	if resp, page := tr.post("/meal/studio/edit", url.Values{"lang": {"fr"}, "key": {"answer.thanks"}, "text": {text}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, page)
	}
	_, page := e.login(t, "awa").get("/meal/cases/" + r.Case.ID + "?template=thanks")
	if !strings.Contains(page, "est bien arrivé chez") {
		t.Fatalf("the case page does not offer the studio's template:\n%s", page)
	}
}

// A phone's AMR recording on a server without ffmpeg gets a message
// saying what to do, and nothing is stored.
func TestStudioUploadNeedsFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		t.Skip("ffmpeg is installed: AMR is converted (internal/promptaudio tests it)")
	}
	e, _, dir := studioEnv(t)
	c := e.login(t, "tina")
	c.get("/meal/studio/edit?lang=bm&key=voice.thanks")
	resp, page := c.upload("/meal/studio/recording", url.Values{"lang": {"bm"}, "key": {"voice.thanks"}}, []byte("#!AMR\n\x3c\x00\x00\x00"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "ffmpeg") || !strings.Contains(page, "WAV") {
		t.Fatalf("AMR without ffmpeg: %d\n%s", resp.StatusCode, page)
	}
	if _, err := os.Stat(filepath.Join(dir, "audio", "bm", "voice.thanks.wav")); err == nil {
		t.Fatal("stored")
	}
}

// Marking reviewed a string the language lacks would store the French
// text as its own: refused.
func TestStudioReviewNeedsOwnText(t *testing.T) {
	e, st, _ := studioEnv(t)
	es, _ := st.Catalog().Entries("taq")
	missing := ""
	for _, en := range es {
		if en.Text == "" {
			missing = en.Key
			break
		}
	}
	if missing == "" {
		t.Skip("taq lacks no string")
	}
	c := e.login(t, "tina")
	c.get("/meal/studio/edit?lang=taq&key=" + url.QueryEscape(missing))
	if resp, _ := c.post("/meal/studio/edit", url.Values{"lang": {"taq"}, "key": {missing}, "action": {"review"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("review of a missing string: %d", resp.StatusCode)
	}
	if h, _ := st.History("taq", missing); len(h) != 0 {
		t.Fatalf("history %+v", h)
	}
}
