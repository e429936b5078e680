package po_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/numerovert/hotline/internal/po"
)

func sample() po.File {
	return po.File{
		Comments: []string{"Numéro Vert: Bamanankan (bm)."},
		Header:   []po.Header{{Name: "Language", Value: "bm"}, {Name: "Content-Type", Value: "text/plain; charset=UTF-8"}},
		Entries: []po.Entry{
			{Context: "language.prompt", ID: "Numéro Vert\nChoisissez la langue:", Str: "Numéro Vert\nI ka kan sugandi:", Fuzzy: true},
			{Context: "end.pin", ID: " Code secret: {code}.", Str: ""},
			{Context: "q", ID: `a "quoted" \ back`, Str: "tab\there\r\x01 end\n", Comments: []string{"two\nlines"}},
		},
	}
}

func TestWriteRead(t *testing.T) {
	var b bytes.Buffer
	if err := po.Write(&b, sample()); err != nil {
		t.Fatal(err)
	}
	want := `# Numéro Vert: Bamanankan (bm).
msgid ""
msgstr ""
"Language: bm\n"
"Content-Type: text/plain; charset=UTF-8\n"

#, fuzzy
msgctxt "language.prompt"
msgid ""
"Numéro Vert\n"
"Choisissez la langue:"
msgstr ""
"Numéro Vert\n"
"I ka kan sugandi:"

msgctxt "end.pin"
msgid " Code secret: {code}."
msgstr ""

#. two
#. lines
msgctxt "q"
msgid "a \"quoted\" \\ back"
msgstr "tab\there\r\001 end\n"
`
	if b.String() != want {
		t.Fatalf("wrote:\n%s\nwant:\n%s", b.String(), want)
	}
	got, err := po.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	w := sample()
	w.Entries[2].Comments = []string{"two", "lines"}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("read back %+v\nwant %+v", got, w)
	}
	if got.HeaderValue("language") != "bm" {
		t.Errorf("HeaderValue = %q", got.HeaderValue("language"))
	}
}

// What other tools write: references, flags beside fuzzy, previous
// msgids, obsolete entries, a BOM and CRLF line ends.
func TestReadToolsOutput(t *testing.T) {
	in := "\ufeff# translator comment\r\nmsgid \"\"\r\nmsgstr \"Language: ff\\n\"\r\n\r\n" +
		"#: ff.yaml:12\n#, fuzzy, c-format\n#| msgid \"old\"\nmsgctxt \"nav.back\"\nmsgid \"Retour\"\nmsgstr \"Rutto\"\n\n" +
		"#~ msgid \"gone\"\n#~ msgstr \"parti\"\n"
	f, err := po.Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []po.Entry{{Context: "nav.back", ID: "Retour", Str: "Rutto", Fuzzy: true}}
	if !reflect.DeepEqual(f.Entries, want) || f.HeaderValue("Language") != "ff" || f.Comments[0] != "translator comment" {
		t.Errorf("read %+v", f)
	}
}

func TestReadRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"plural":          "msgid \"a\"\nmsgid_plural \"b\"\nmsgstr[0] \"c\"\n",
		"unquoted":        "msgid a\nmsgstr \"b\"\n",
		"bad escape":      "msgid \"a\\q\"\nmsgstr \"b\"\n",
		"no msgstr":       "msgid \"a\"\n\nmsgid \"b\"\nmsgstr \"c\"\n",
		"inner quote":     "msgid \"a\"b\"\nmsgstr \"\"\n",
		"not utf-8":       "msgid \"\xff\"\nmsgstr \"\"\n",
		"twice":           "msgid \"a\"\nmsgid \"b\"\nmsgstr \"\"\n",
		"stray string":    "\"a\"\n",
		"unknown keyword": "msgfoo \"a\"\n",
	} {
		if _, err := po.Read(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: err = %v, want a line-numbered error", name, err)
		}
	}
}

// FuzzPO: any text reads without a panic; what reads back writes and
// reads again to the same messages; and any strings written read back
// exactly.
func FuzzPO(f *testing.F) {
	var b bytes.Buffer
	po.Write(&b, sample())
	f.Add(b.String(), "ctx", "Numéro\nVert", "ɛ\t\"\\\x00")
	f.Add("msgid \"\"\nmsgstr \"Language: bm\\n\"\n", "", "a", "")
	f.Fuzz(func(t *testing.T, text, ctx, id, str string) {
		if got, err := po.Read(strings.NewReader(text)); err == nil {
			var w bytes.Buffer
			if err := po.Write(&w, got); err == nil {
				again, err := po.Read(&w)
				if err != nil || !reflect.DeepEqual(again.Entries, got.Entries) {
					t.Fatalf("write of a read file does not read back: %v\n%s", err, w.String())
				}
			}
		}
		e := po.Entry{Context: ctx, ID: id, Str: str}
		var w bytes.Buffer
		if err := po.Write(&w, po.File{Entries: []po.Entry{e}}); err != nil {
			return // an empty msgid: refused
		}
		got, err := po.Read(&w)
		valid := func(s string) bool { return strings.ToValidUTF8(s, "") == s }
		if !valid(ctx) || !valid(id) || !valid(str) {
			return // PO is UTF-8 here; invalid input cannot round-trip
		}
		if err != nil || len(got.Entries) != 1 || got.Entries[0].Context != ctx || got.Entries[0].ID != id || got.Entries[0].Str != str {
			t.Fatalf("%q %q %q: read back %+v, %v\n%s", ctx, id, str, got.Entries, err, w.String())
		}
	})
}
