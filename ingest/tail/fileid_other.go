//go:build !unix

package tail

import "os"

// statID reports no identity where os.FileInfo carries no inode. Files are
// then known by their path only: a replaced or truncated file is still
// noticed by its fingerprint and size, but the unread end of a file renamed
// away is not followed.
func statID(os.FileInfo) fileID { return fileID{} }
