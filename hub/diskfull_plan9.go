package hub

import "strings"

// isDiskFull reports whether err is a write failure for lack of space;
// Plan 9 errors are strings.
func isDiskFull(err error) bool { return strings.Contains(err.Error(), "no space") }
