package tail

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// KeyPrefix starts the OffsetStore key of each followed file; the rest of
// the key is the file's absolute path.
const KeyPrefix = "tail:"

// fingerprintLen is how many leading bytes identify a file's content. A
// kilobyte spans several timestamped lines, so a new file that reuses an
// inode, or a truncated file written again, almost surely differs in it.
const fingerprintLen = 1024

// fileID is a file's device and inode; ok is false where the platform has
// none (see statID).
type fileID struct {
	Dev, Ino uint64
	ok       bool
}

// state is what is persisted per file, as JSON under KeyPrefix+path. It is
// written only after the Sink has stored every event before Offset, so that
// resuming from it neither loses nor repeats events.
type state struct {
	Dev   uint64 `json:"dev,omitempty"`
	Inode uint64 `json:"inode,omitempty"`
	// Fingerprint is the hex SHA-256 of the first FPLen bytes (at most
	// fingerprintLen; fewer while the file is shorter). Empty for files
	// read whole, whose headers change as they grow (EVTX).
	Fingerprint string `json:"fingerprint,omitempty"`
	FPLen       int    `json:"fp_len,omitempty"`
	// Offset is where reading resumes: just after the last line
	// submitted. For files read whole, it is the size at which the file
	// was last read completely (0 while a first read is under way).
	Offset int64 `json:"offset"`
	// Line is the number of lines before Offset, so that Source.Record
	// keeps counting lines from the start of the file.
	Line int64 `json:"line,omitempty"`
	// Events counts the events submitted from a file read whole; a
	// re-read (the file grew, or a read was interrupted) skips that many.
	Events int64  `json:"events,omitempty"`
	Format string `json:"format,omitempty"`
	// MovedTo, when set, says the file (Dev, Inode) was renamed to this
	// path while followed, and its progress is saved under that path's
	// key now: the rest of this state is stale.
	MovedTo string `json:"moved_to,omitempty"`
}

// maxMoves bounds the MovedTo records followed from one key.
const maxMoves = 8

// sameFile reports whether s was saved for the file with identity id. Where
// there is no inode, a state is taken to belong to its path's file and the
// fingerprint decides.
func (s *state) sameFile(id fileID) bool {
	return !id.ok || s.Dev == id.Dev && s.Inode == id.Ino
}

// id is the identity s was saved for.
func (s *state) id() fileID { return fileID{Dev: s.Dev, Ino: s.Inode, ok: true} }

// newer reports whether s records more progress than o, for choosing
// between two states of one file.
func (s *state) newer(o *state) bool {
	return s.Offset > o.Offset || s.Offset == o.Offset && s.Events > o.Events
}

func decodeState(v string) (*state, error) {
	var s state
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return nil, err
	}
	if s.Offset < 0 || s.Line < 0 || s.Events < 0 || s.FPLen < 0 || s.FPLen > fingerprintLen {
		return nil, fmt.Errorf("out of range: %s", v)
	}
	return &s, nil
}

func (s *state) encode() string {
	b, _ := json.Marshal(s) // cannot fail: plain fields
	return string(b)
}

func fingerprint(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
