package logs

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFiles(t *testing.T) {
	root := t.TempDir()
	mk := func(rel, content string) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("b.log", "bb")
	mk("a/z.log", "z")
	mk("a/y/x.log", "xxx")
	mk("c.log", "c")
	if runtime.GOOS != "windows" {
		os.Symlink(root, filepath.Join(root, "a", "loop"))                     // a loop
		os.Symlink(filepath.Join(root, "c.log"), filepath.Join(root, "d.log")) // a second name for c.log
		os.Symlink(filepath.Join(root, "gone"), filepath.Join(root, "e.log"))  // dangling
		mkfifo(filepath.Join(root, "f.fifo"))
	}
	var warnings []string
	got, err := Files([]string{filepath.Join(root, "c.log"), root}, func(w Warning) {
		rel, _ := filepath.Rel(root, w.Path)
		warnings = append(warnings, rel+": "+w.Msg)
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got {
		rel, _ := filepath.Rel(root, f.Path)
		names = append(names, rel)
		if st, _ := os.Stat(f.Path); st.Size() != f.Size {
			t.Errorf("%s: size %d, want %d", rel, f.Size, st.Size())
		}
	}
	want := "c.log a/y/x.log a/z.log b.log"
	if strings.Join(names, " ") != want {
		t.Errorf("files %v, want %s", names, want)
	}
	if runtime.GOOS == "windows" {
		return
	}
	all := strings.Join(warnings, "\n")
	for _, w := range []string{"a/loop: directory", "c.log: already listed", "d.log: already listed", "e.log: cannot stat", "f.fifo: not a regular file"} {
		if !strings.Contains(all, w) {
			t.Errorf("no warning %q in:\n%s", w, all)
		}
	}
}

func TestFilesUnreadableDir(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a non-root Unix user: root reads any directory")
	}
	root := t.TempDir()
	locked := filepath.Join(root, "locked")
	os.Mkdir(locked, 0o755)
	os.WriteFile(filepath.Join(locked, "x.log"), []byte("x"), 0o644)
	os.Chmod(locked, 0)
	defer os.Chmod(locked, 0o755)
	var warned bool
	if _, err := Files([]string{root}, func(w Warning) { warned = warned || strings.Contains(w.Msg, "cannot read directory") }); err != nil {
		t.Fatal(err)
	}
	if !warned {
		t.Error("unreadable directory not reported")
	}
}

func TestFilesMissing(t *testing.T) {
	if _, err := Files([]string{filepath.Join(t.TempDir(), "nope")}, nil); err == nil {
		t.Error("missing path: no error")
	}
}
