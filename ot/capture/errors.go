package capture

import "errors"

// ErrLiveUnsupported is returned by OpenInterface where live capture does
// not exist (every system but Linux).
var ErrLiveUnsupported = errors.New("live capture is only supported on Linux (AF_PACKET)")
